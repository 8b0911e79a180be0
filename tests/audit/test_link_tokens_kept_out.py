"""A link's token opens a patient's questionnaire: it never reaches the audit trail,
the logs or a backup, whether the request was allowed or refused (security review,
finding 1).
"""

import importlib
import io
import logging
import secrets

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from audit.models import AuditEntry
from core.logs import TOKEN_PATH_PREFIXES, TOKENLESS_SEGMENTS, redact
from tests.factories import PatientFactory, make_invitation

pytestmark = pytest.mark.django_db

ACCESS = AuditEntry.Action.ACCESS


def _patterns(resolver=None, prefix=""):
    """(route, pattern) of every URL the app answers."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def tokenised_routes() -> list[str]:
    return sorted({route for route, _ in _patterns() if "<str:token>" in route})


def test_the_app_has_tokenised_urls_to_check():
    assert "intake/<str:token>/" in tokenised_routes()


@pytest.mark.parametrize("route", tokenised_routes())
def test_every_url_with_a_token_is_under_a_redacted_prefix(route):
    # A new kind of private link must be added to TOKEN_PATH_PREFIXES, or its
    # token would be kept in the trail and the logs.
    first = route.split("/")[0]
    assert first in TOKEN_PATH_PREFIXES
    assert route.startswith(f"{first}/<str:token>")


@pytest.mark.parametrize("prefix", TOKEN_PATH_PREFIXES)
def test_redact_hides_the_token_under_every_prefix_but_not_tokenless_pages(prefix):
    token = secrets.token_urlsafe(32)
    assert redact(f"/{prefix}/{token}/step/2/") == f"/{prefix}/[token]/step/2/"
    for page in TOKENLESS_SEGMENTS:
        assert redact(f"/{prefix}/{page}/") == f"/{prefix}/{page}/"


def _requests(token):
    """Allowed and refused requests to every tokenised URL: (client, method, path)."""
    for route in tokenised_routes():
        path = "/" + route.replace("<str:token>", token).replace("<int:step>", "1")
        yield Client(), "get", path  # allowed (or a step not reached yet)
        yield Client(), "post", path  # no CSRF check in the test client: a real post
        yield Client(enforce_csrf_checks=True), "post", path  # refused: 403
        yield Client(), "put", path  # refused: 405


def _everything_in_the_trail() -> str:
    return "\n".join(str(row) for row in AuditEntry.objects.values())


def test_no_request_to_a_tokenised_url_leaves_the_token_in_the_trail_logs_or_backup(
    front_desk, caplog, tmp_path
):
    patient = PatientFactory(created_by=front_desk)
    _invitation, token, _path = make_invitation(patient, created_by=front_desk)
    unknown = secrets.token_urlsafe(32)

    statuses = set()
    with caplog.at_level(logging.DEBUG):
        for key in (token, unknown):
            for client, method, path in _requests(key):
                statuses.add(getattr(client, method)(path).status_code)
    call_command("backup_export", str(tmp_path / "backup.json"), stdout=io.StringIO())

    assert {200, 403, 404, 405} <= statuses
    assert AuditEntry.objects.filter(event=AuditEntry.Event.DENIED).exists()
    assert AuditEntry.objects.filter(path__startswith="/intake/[token]/").exists()
    for key in (token, unknown):
        assert key not in _everything_in_the_trail()
        assert key not in caplog.text
        assert key not in (tmp_path / "backup.json").read_text()


def test_an_entry_written_with_a_token_in_its_path_is_stored_redacted():
    token = secrets.token_urlsafe(32)

    entry = AuditEntry.objects.create(
        action=ACCESS, event="denied", path=f"/intake/{token}/step/3/"
    )

    assert AuditEntry.objects.get(pk=entry.pk).path == "/intake/[token]/step/3/"


def test_the_migration_redacts_tokens_already_in_the_trail(front_desk):
    token = secrets.token_urlsafe(32)
    # As written before paths were redacted on save.
    entry = AuditEntry.objects.create(
        action=ACCESS, event="denied", path="/intake/placeholder/step/1/"
    )
    AuditEntry.objects.filter(pk=entry.pk).update(path=f"/intake/{token}/step/1/")
    kept = AuditEntry.objects.create(action=ACCESS, event="denied", path="/intake/start/")
    other = AuditEntry.objects.create(
        action=ACCESS, event="read", path=f"/patients/{front_desk.pk}/"
    )
    migration = importlib.import_module("audit.migrations.0004_redact_link_tokens")

    migration.redact_stored_paths(apps, None)

    assert AuditEntry.objects.get(pk=entry.pk).path == "/intake/[token]/step/1/"
    assert AuditEntry.objects.get(pk=kept.pk).path == "/intake/start/"
    assert AuditEntry.objects.get(pk=other.pk).path == other.path
