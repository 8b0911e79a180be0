"""The staff app moved from the project package to accounts/ (app label kept
"acuclinic"), and its rate-limit counter to core/. A database made before the move,
with staff and counts in it, migrates without losing a row."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import User
from core.models import RateLimitCounter

BEFORE_THE_MOVE = [("acuclinic", "0005_move_backup_codes_to_hashes"), ("core", None)]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_from_before_the_move_keeps_its_staff_and_counts():
    old = _migrate(BEFORE_THE_MOVE)
    old.get_model("acuclinic", "User").objects.create(username="before_the_move")
    old.get_model("acuclinic", "RateLimitCounter").objects.create(
        key="rl:intake:203.0.113.9",
        value=7,
        expires_at=timezone.now() + datetime.timedelta(minutes=1),
    )

    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())

    assert User.objects.filter(username="before_the_move").exists()
    assert RateLimitCounter.objects.get(key="rl:intake:203.0.113.9").value == 7
    assert RateLimitCounter._meta.db_table == "acuclinic_ratelimitcounter"
    assert User._meta.app_label == "acuclinic"
