"""Appointments moved from the plans app to scheduling. A database made before the
move, with appointments in it, migrates without losing a row, a role's permission
or the audit trail's reference to a visit."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts import roles
from audit.models import AuditEntry
from scheduling.models import Appointment
from tests.factories import PatientFactory, UserFactory

BEFORE_THE_MOVE = [("plans", "0003_version"), ("scheduling", None)]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_with_appointments_from_before_the_move_keeps_them():
    old = _migrate(BEFORE_THE_MOVE)
    # Staff and patients' tables are as today (only plans and scheduling went back).
    user = UserFactory(username="desk_before")
    patient = PatientFactory(created_by=user)
    old_appointment = old.get_model("plans", "Appointment").objects.create(
        patient_id=patient.pk,
        practitioner_id=user.pk,
        starts_at=timezone.now() + datetime.timedelta(days=2),
        length_minutes=45,
        created_by_id=user.pk,
    )
    old_type = ContentType.objects.get(app_label="plans", model="appointment")
    AuditEntry.objects.create(
        action=AuditEntry.Action.CREATE,
        content_type=old_type,
        object_pk=str(old_appointment.pk),
        object_repr="appointment",
    )

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()

    moved = Appointment.objects.get(code=old_appointment.code)
    assert (moved.patient_id, moved.length_minutes) == (patient.pk, 45)
    assert Appointment._meta.db_table == "scheduling_appointment"
    assert not ContentType.objects.filter(app_label="plans", model="appointment").exists()
    entry = AuditEntry.objects.get(object_pk=str(old_appointment.pk), object_repr="appointment")
    assert entry.content_type == ContentType.objects.get_for_model(Appointment)
    desk = Group.objects.get(name=roles.FRONT_DESK)
    assert desk.permissions.filter(
        content_type__app_label="scheduling", codename="add_appointment"
    ).exists()
