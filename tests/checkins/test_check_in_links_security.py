"""A check-in link: its token is the only key to a patient's answers between visits.

As an intake link (tests/intake/test_intake_links_security.py): unguessable and
stored only as a hash; reaching one check-in; closed once expired, stopped, replaced
or answered, with one page that says nothing about the patient; answered once; rate
limited per address; needing the CSRF token; never cached; never in a log or the
audit trail.
"""

import io
import logging
import secrets
import time
import types
from datetime import timedelta
from unittest import mock
from urllib.parse import quote

import django_ratelimit.core
import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from checkins.models import CheckIn
from checkins.services import checkin_create, checkin_link, checkin_revoke
from core.logs import RedactIntakeTokens
from core.models import Clinic
from tests.factories import IntakeFactory, PatientFactory
from tests.intake.test_intake_links_security import database_text

pytestmark = pytest.mark.django_db

ANSWERS = {
    "pain_now": "3",
    "pain_worst": "6",
    "psfs_score_1": "7",
    "pain_medication_doses": "4",
    "headache_days": "5",
    "pgic": "2",
}
UNAVAILABLE = "This link doesn't work any more"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db):
    caches["ratelimit"].clear()
    now = time.time()
    with mock.patch.object(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: now)):
        yield
    caches["ratelimit"].clear()


def patient_with_intake(first_name, activity):
    patient = PatientFactory(first_name=first_name, last_name="Anders", phone="+14155550111")
    IntakeFactory(
        patient=patient,
        submitted=True,
        pain_types=["migraine"],
        psfs_activity_1=activity,
        psfs_score_1=3,
    )
    return patient


@pytest.fixture
def alice(front_desk):
    return patient_with_intake("Alice", "Carrying the shopping")


@pytest.fixture
def bruno(front_desk):
    return patient_with_intake("Bruno", "Playing the cello")


def link(patient, user):
    """(check-in, token) of a new on-demand check-in's link."""
    check_in = checkin_create(patient, by=user, reason=CheckIn.Reason.ON_DEMAND)
    return check_in, checkin_link(check_in)


def url(token):
    return f"/check-in/{token}/"


def test_a_link_opens_its_own_check_in_in_the_patients_words(client, alice, bruno, front_desk):
    _check_in, token = link(alice, front_desk)
    link(bruno, front_desk)

    response = client.get(url(token))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Carrying the shopping" in page
    assert "Playing the cello" not in page
    assert "Bruno" not in page
    for jargon in ("NRS", "PSFS", "PGIC", "Patient Global"):
        assert jargon not in page
    assert "no-store" in response["Cache-Control"]


def test_the_database_stores_only_the_hash_of_the_token(client, alice, front_desk):
    check_in, token = link(alice, front_desk)
    client.post(url(token), ANSWERS)

    check_in.refresh_from_db()
    assert check_in.submitted_at is not None, "the link was used"
    stored = database_text()
    assert check_in.token_hash in stored
    assert token not in stored


def make_unusable(how, check_in, patient, user):
    if how == "expired":
        CheckIn.objects.filter(pk=check_in.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    elif how == "revoked":
        assert checkin_revoke(patient, by=user) == 1
    else:  # replaced by a new check-in
        link(patient, user)


def test_unknown_expired_revoked_replaced_and_answered_links_show_the_same_page(
    client, alice, front_desk
):
    Clinic.objects.filter(pk=Clinic.current().pk).update(phone="")
    pages = {"unknown": client.get(url(secrets.token_urlsafe(32)))}
    for how in ("expired", "revoked", "replaced", "answered"):
        check_in, token = link(alice, front_desk)
        if how == "answered":
            assert client.post(url(token), ANSWERS).status_code == 200
        else:
            make_unusable(how, check_in, alice, front_desk)
        pages[how] = client.get(url(token))

    assert {how: page.status_code for how, page in pages.items()} == {
        "unknown": 404,
        "expired": 410,
        "revoked": 410,
        "replaced": 410,
        "answered": 410,
    }
    contents = {page.content for page in pages.values()}
    assert len(contents) == 1
    text = pages["unknown"].content.decode()
    assert UNAVAILABLE in text
    for detail in ("Alice", "Anders", "Carrying the shopping", "555"):
        assert detail not in text


@pytest.mark.parametrize("how", ["expired", "revoked", "replaced"])
def test_an_unusable_link_takes_no_answers(client, alice, front_desk, how):
    check_in, token = link(alice, front_desk)
    make_unusable(how, check_in, alice, front_desk)

    response = client.post(url(token), ANSWERS)

    assert response.status_code == 410
    check_in.refresh_from_db()
    assert check_in.submitted_at is None and check_in.pain_now is None


def test_the_thank_you_page_is_shown_once_and_never_the_answers(client, alice, front_desk):
    check_in, token = link(alice, front_desk)

    thanks = client.post(url(token), ANSWERS)
    again = client.get(url(token))
    resent = client.post(url(token), {**ANSWERS, "pain_now": "0"})

    assert thanks.status_code == 200
    assert "Thank you, we have your answers" in thanks.content.decode()
    assert "Carrying the shopping" not in thanks.content.decode()
    assert again.status_code == resent.status_code == 410
    assert UNAVAILABLE in again.content.decode()
    check_in.refresh_from_db()
    assert check_in.pain_now == 3


@pytest.mark.parametrize(
    "guess",
    [
        lambda check_in, token: str(check_in.code),
        lambda check_in, token: str(check_in.patient.code),
        lambda check_in, token: str(check_in.pk),
        lambda check_in, token: check_in.token_hash,
        lambda check_in, token: token[:-1],
        lambda check_in, token: token.swapcase(),
        lambda check_in, token: "x" * 5000,
        lambda check_in, token: quote("<script>alert(1)</script>", safe=""),
    ],
    ids=["code", "patient code", "pk", "hash", "cut short", "other case", "huge", "markup"],
)
def test_nothing_but_the_exact_token_opens_a_check_in(client, alice, front_desk, guess):
    check_in, token = link(alice, front_desk)
    check_in.refresh_from_db()

    response = client.get(url(guess(check_in, token)))

    assert response.status_code == 404
    assert "<script>alert" not in response.content.decode()


def test_answers_posted_through_one_link_change_only_that_check_in(
    client, alice, bruno, front_desk
):
    _alice_check_in, alice_token = link(alice, front_desk)
    bruno_check_in, _ = link(bruno, front_desk)

    client.post(
        url(alice_token),
        {**ANSWERS, "code": str(bruno_check_in.code), "patient": str(bruno.code)},
    )

    bruno_check_in.refresh_from_db()
    assert bruno_check_in.submitted_at is None
    assert alice.check_ins.get().submitted_at is not None


# --- Rate limits and CSRF ---------------------------------------------------------------


def test_guessing_links_is_limited_per_address_with_intake_links_in_the_same_count(
    client, settings, alice, front_desk
):
    settings.INTAKE_RATE_LIMIT = "3/m"
    _check_in, token = link(alice, front_desk)

    guesses = [
        client.get(url(secrets.token_urlsafe(32))).status_code,
        client.get(f"/intake/{secrets.token_urlsafe(32)}/").status_code,
        client.get(url(secrets.token_urlsafe(32))).status_code,
    ]
    real = client.get(url(token))
    posted = client.post(url(token), ANSWERS)
    other_address = client.get(url(token), REMOTE_ADDR="10.0.0.9")

    assert guesses == [404, 404, 404]
    assert real.status_code == posted.status_code == 429
    assert "Please wait a minute" in real.content.decode()
    assert "Alice" not in real.content.decode()
    assert alice.check_ins.get().submitted_at is None
    assert other_address.status_code == 200


def test_answering_needs_the_forms_csrf_token(alice, front_desk):
    check_in, token = link(alice, front_desk)
    browser = Client(enforce_csrf_checks=True)

    forged = browser.post(url(token), ANSWERS)
    check_in.refresh_from_db()
    assert forged.status_code == 403
    assert check_in.submitted_at is None

    browser.get(url(token))
    genuine = browser.post(
        url(token), {**ANSWERS, "csrfmiddlewaretoken": browser.cookies["csrftoken"].value}
    )
    assert genuine.status_code == 200
    check_in.refresh_from_db()
    assert check_in.submitted_at is not None


# --- Logs and the audit trail -----------------------------------------------------------


@pytest.fixture
def console_log():
    handler = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactIntakeTokens) for f in handler.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_tokens_never_reach_the_logs_or_the_audit_trail(
    alice, front_desk, settings, caplog, console_log
):
    check_in, token = link(alice, front_desk)
    settings.INTAKE_RATE_LIMIT = "3/m"  # the CSRF refusal never reaches the count
    browser = Client(raise_request_exception=False)
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="django"):
        Client(enforce_csrf_checks=True).post(url(token), ANSWERS)  # refused: 403
        browser.post(url(token), ANSWERS)  # answered
        browser.get(url(token))  # gone: 410
        browser.put(url(token))  # 405
        browser.get(url(token))  # 429

    assert "Gone: /check-in/[token]/" in caplog.text
    assert "Too Many Requests: /check-in/[token]/" in caplog.text
    assert token not in caplog.text
    assert token not in console_log.getvalue()
    assert "/check-in/[token]/" in console_log.getvalue()
    entries = list(AuditEntry.objects.values_list("path", "changes", "object_repr"))
    assert any("/check-in/[token]/" in path for path, _changes, _repr in entries)
    assert token not in str(entries)
    assert check_in.patient_id == alice.pk
