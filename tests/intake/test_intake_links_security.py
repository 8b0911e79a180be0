"""The patient's intake link: its token is the only key to a patient's health answers.

A link must be unguessable and stored only as a hash; reach exactly one intake; stop
working once expired or revoked, with a page that says nothing about the patient;
be closed once submitted; be rate limited per address; need CSRF tokens; never be
cached or passed to other sites; and never reach a log.
"""

import hashlib
import io
import logging
import re
import secrets
import smtplib
import time
import types
import uuid
from datetime import UTC, date, datetime, timedelta
from unittest import mock
from urllib.parse import quote

import django_ratelimit.core
import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.logs import RedactIntakeTokens, redact
from core.models import Clinic
from intake.models import SCREENING_QUESTIONS, Intake, IntakeInvitation, Patient
from intake.services import intake_save_step, invitation_revoke, token_hash
from tests.factories import SCREENING_NO, IntakeFactory, PatientFactory, make_invitation

pytestmark = pytest.mark.django_db

TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
START_REDIRECT = re.compile(r"/intake/([A-Za-z0-9_-]{43})/step/1/")

# Valid answers to steps 1-5, as the browser posts them.
STEP_ANSWERS = {
    1: {"phone": "(415) 555-0123", "email": "new.address@example.com", "reminder_channel": "email"},
    2: {
        "pain_types": ["neck_pain"],
        "pain_locations": ["neck"],
        "pain_now": "5",
        "pain_worst": "7",
        "months_with_pain": "3",
    },
    3: {"psfs_activity_1": "Turning my head to drive", "psfs_score_1": "4"},
    4: {
        "medications-TOTAL_FORMS": "1",
        "medications-INITIAL_FORMS": "0",
        "medications-MIN_NUM_FORMS": "0",
        "medications-MAX_NUM_FORMS": "30",
        "medications-0-name": "Ibuprofen",
        "medications-0-dose": "400 mg",
    },
    5: {
        **{field: "no" for field, _label, _question in SCREENING_QUESTIONS},
        "goals": "Sleep through the night",
    },
}
# A self-registering patient also types who they are on step 1.
SELF_IDENTITY = {
    "first_name": "Sam",
    "last_name": "Rivera",
    "date_of_birth": "1980-04-25",
    "sex": "female",
}


def consent(name):
    return {
        "consent_to_treatment": "on",
        "privacy_acknowledged": "on",
        "signature_name": name,
        "action": "submit",
    }


def step_answers(step, name="Alice Anders"):
    return consent(name) if step == 6 else STEP_ANSWERS[step]


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db):
    """No request counted yet, on a clock that stands still for the rate limiter.

    django_ratelimit counts in windows whose edges depend on the address; a still
    clock keeps each test's requests in one window, so limits hit exactly.
    """
    caches["ratelimit"].clear()
    now = time.time()
    with mock.patch.object(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: now)):
        yield
    caches["ratelimit"].clear()


@pytest.fixture
def alice(front_desk):
    return PatientFactory(
        first_name="Alice",
        last_name="Anders",
        date_of_birth=date(1971, 3, 9),
        phone="+14155550111",
        email="alice.anders@example.com",
        address="12 Quince Lane",
        created_by=front_desk,
    )


@pytest.fixture
def bruno(front_desk):
    return PatientFactory(
        first_name="Bruno",
        last_name="Brightwater",
        date_of_birth=date(1964, 11, 30),
        phone="+14155550122",
        email="bruno.b@example.com",
        address="7 Juniper Court",
        created_by=front_desk,
    )


def step_url(token, step):
    return f"/intake/{token}/step/{step}/"


def link_with_draft(patient, user, **draft):
    """A patient's link, opened on a draft of their intake: (invitation, token, intake)."""
    intake = IntakeFactory(patient=patient, **draft)
    invitation, token, _path = make_invitation(patient, created_by=user)
    invitation.intake = intake
    invitation.save(update_fields=["intake"])
    return invitation, token, intake


def ready_to_submit(patient, user):
    """A link whose draft has steps 1-5 saved, so the consent step can submit it."""
    invitation, token, intake = link_with_draft(patient, user)
    for step in range(1, 6):
        intake = intake_save_step(
            intake=intake, step=step, answers=SCREENING_NO if step == 5 else {}
        )
    return invitation, token, intake


def submitted_link(patient, user, **answers):
    return link_with_draft(patient, user, submitted=True, **answers)


def snapshot(intake):
    """Everything stored of an intake, its pain regions and medicines included."""
    return (
        Intake.objects.filter(pk=intake.pk).values().get(),
        list(intake.regions.order_by("region").values_list("region", "score")),
        list(intake.medications.values_list("name", "dose", "frequency", "for_pain")),
    )


def chart(patient):
    return Patient.objects.filter(pk=patient.pk).values().get()


def personal_details(patient):
    """Ways a page could show who the patient is."""
    return [
        patient.first_name,
        patient.last_name,
        patient.phone,
        patient.phone_display,
        patient.email,
        patient.address,
        str(patient.date_of_birth),
        f"{patient.date_of_birth:%B} {patient.date_of_birth.year}",
    ]


def start_self_registration(client, **extra):
    response = client.post("/intake/start/", **extra)
    assert response.status_code == 302
    match = START_REDIRECT.fullmatch(response["Location"])
    assert match, response["Location"]
    return match[1]


def answer_steps_1_to_5(client, token, *, extra=None, identity=None):
    for step in range(1, 6):
        data = {**STEP_ANSWERS[step], **(extra or {})}
        if step == 1 and identity:
            data.update(identity)
        response = client.post(step_url(token, step), data)
        assert response.status_code == 302, (step, response.content.decode()[:2000])
        assert response["Location"] == step_url(token, step + 1)


def database_text():
    """Every value in every table of the database, as text."""
    cells = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - the database's own tables
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("latin-1")
                    cells.append(str(value))
    return "\n".join(cells)


# --- Tokens ---------------------------------------------------------------------------


def test_a_link_token_is_43_url_safe_characters_so_at_least_128_random_bits(
    client, alice, front_desk
):
    _invitation, token, path = make_invitation(alice, created_by=front_desk)
    self_start_token = start_self_registration(client)

    for link_token in (token, self_start_token):
        assert TOKEN_SHAPE.fullmatch(link_token)
        assert len(link_token) * 6 >= 128  # 6 bits per url-safe base64 character
    assert path == f"/intake/{token}/"


def test_the_database_stores_only_the_sha256_of_a_link_token(client, alice, front_desk):
    invitation, token, path = make_invitation(alice, created_by=front_desk)
    client.get(path)
    client.post(step_url(token, 1), STEP_ANSWERS[1])
    self_start_token = start_self_registration(client)
    client.post(step_url(self_start_token, 1), {**STEP_ANSWERS[1], **SELF_IDENTITY})

    invitation.refresh_from_db()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert invitation.intake.phone == "+14155550123", "the link was used"
    self_start = IntakeInvitation.objects.get(token_hash=token_hash(self_start_token))
    assert self_start.intake.first_name == "Sam"

    stored = database_text()
    assert invitation.token_hash in stored, "the scan reads the intake tables"
    assert token not in stored
    assert self_start_token not in stored


def test_every_link_gets_a_token_of_its_own(client, alice, bruno, front_desk):
    tokens = [
        make_invitation(alice, created_by=front_desk)[1],
        make_invitation(bruno, created_by=front_desk)[1],
        make_invitation(alice, created_by=front_desk)[1],  # a replacement link
        start_self_registration(client),
        start_self_registration(client),
    ]

    assert len(set(tokens)) == 5
    hashes = set(IntakeInvitation.objects.values_list("token_hash", flat=True))
    assert hashes == {token_hash(token) for token in tokens}


def test_a_new_link_works_for_fourteen_days(alice, front_desk):
    invitation, _token, _path = make_invitation(alice, created_by=front_desk)

    assert invitation.expires_at - invitation.created_at == timedelta(days=14)
    assert invitation.is_usable


# --- Links that do not work --------------------------------------------------------------


def make_unusable(how, invitation, patient, user):
    if how == "expired":
        IntakeInvitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    elif how == "revoked":
        assert invitation_revoke(patient=patient, revoked_by=user) == 1
    else:  # replaced by a new link
        make_invitation(patient, created_by=user)


def test_unknown_expired_and_revoked_links_show_the_same_page_and_nothing_about_the_patient(
    client, alice, bruno, front_desk
):
    Clinic.objects.filter(pk=Clinic.current().pk).update(phone="")
    expired, expired_token, _ = link_with_draft(alice, front_desk)
    revoked, revoked_token, _ = link_with_draft(bruno, front_desk)
    make_unusable("expired", expired, alice, front_desk)
    make_unusable("revoked", revoked, bruno, front_desk)

    unknown = client.get(f"/intake/{secrets.token_urlsafe(32)}/")
    expired_page = client.get(f"/intake/{expired_token}/")
    revoked_page = client.get(f"/intake/{revoked_token}/")

    assert unknown.status_code == 404
    assert expired_page.status_code == 410
    assert revoked_page.status_code == 410
    assert unknown.content == expired_page.content == revoked_page.content
    page = unknown.content.decode()
    assert "This link doesn't work any more" in page
    assert "call the clinic" in page
    assert "send you a new link" in page
    for detail in personal_details(alice) + personal_details(bruno):
        assert detail not in page


def test_the_unusable_link_page_gives_the_clinics_number_to_call(client):
    Clinic.objects.filter(pk=Clinic.current().pk).update(phone="(415) 555-0100")

    response = client.get(f"/intake/{secrets.token_urlsafe(32)}/")

    assert response.status_code == 404
    assert 'call us on <a href="tel:(415) 555-0100">' in response.content.decode()


@pytest.mark.parametrize("how", ["expired", "revoked", "replaced"])
def test_an_unusable_link_opens_no_step_and_saves_nothing(client, alice, front_desk, how):
    invitation, token, intake = link_with_draft(alice, front_desk)
    assert client.get(f"/intake/{token}/").status_code == 302, "the link worked before"
    make_unusable(how, invitation, alice, front_desk)
    before = snapshot(intake)

    entry = client.get(f"/intake/{token}/")
    step_page = client.get(step_url(token, 1))
    posted = client.post(step_url(token, 1), STEP_ANSWERS[1])

    assert [entry.status_code, step_page.status_code, posted.status_code] == [410, 410, 410]
    assert "Alice" not in step_page.content.decode()
    assert snapshot(intake) == before


@pytest.mark.parametrize(
    "guess",
    [
        lambda invitation, token: str(uuid.uuid4()),
        lambda invitation, token: str(invitation.intake.code),
        lambda invitation, token: str(invitation.patient.code),
        lambda invitation, token: str(invitation.pk),
        lambda invitation, token: invitation.token_hash,
        lambda invitation, token: token[:-1],
        lambda invitation, token: token + "=",
        lambda invitation, token: token.swapcase(),
        lambda invitation, token: ("B" if token[0] == "A" else "A") + token[1:],
    ],
    ids=[
        "a random uuid",
        "the intake's code",
        "the patient's code",
        "the link's primary key",
        "the stored hash",
        "the token cut short",
        "the token with base64 padding",
        "the token in the other case",
        "the token with one character changed",
    ],
)
def test_nothing_but_the_exact_token_opens_an_intake(client, alice, front_desk, guess):
    invitation, token, _intake = link_with_draft(alice, front_desk)
    assert client.get(f"/intake/{token}/").status_code == 302, "the real token works"

    response = client.get(f"/intake/{quote(guess(invitation, token), safe='')}/")

    assert response.status_code == 404
    assert "This link doesn't work any more" in response.content.decode()


@pytest.mark.parametrize(
    "token",
    [
        "x" * 5000,
        secrets.token_urlsafe(32) * 100,
        "%00",
        "%FF%FE",
        "%E2%80%AE",
        quote("<script>alert(1)</script>", safe=""),
        quote("'; DROP TABLE intake_intake; --", safe=""),
        quote("💉", safe=""),
        "%20",
        "..",
    ],
    ids=[
        "5000 characters",
        "4300 url-safe characters",
        "a NUL byte",
        "bytes that are not UTF-8",
        "a right-to-left override",
        "markup",
        "SQL",
        "an emoji",
        "a space",
        "dot dot",
    ],
)
def test_a_huge_or_odd_token_is_not_found_rather_than_a_server_error(client, token):
    responses = [
        client.get(f"/intake/{token}/"),
        client.get(step_url(token, 1)),
        client.post(step_url(token, 1), STEP_ANSWERS[1]),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    for response in responses:
        assert "<script>alert" not in response.content.decode()
    assert Intake.objects.count() == 0


# --- A link reaches its own intake only ----------------------------------------------


def test_answers_posted_through_a_link_change_only_that_patients_intake(
    client, alice, bruno, front_desk
):
    _, alice_token, alice_intake = link_with_draft(alice, front_desk)
    _, bruno_token, bruno_intake = link_with_draft(bruno, front_desk)
    bruno_before = snapshot(bruno_intake)
    charts_before = [chart(alice), chart(bruno)]
    aimed_at_bruno = {
        "intake": str(bruno_intake.code),
        "code": str(bruno_intake.code),
        "patient": str(bruno.code),
        "patient_id": str(bruno.pk),
        "token": bruno_token,
        "first_name": "Mallory",
        "last_name": "Mallet",
    }

    step_1 = client.post(step_url(alice_token, 1), {**STEP_ANSWERS[1], **aimed_at_bruno})
    step_2 = client.post(step_url(alice_token, 2), {**STEP_ANSWERS[2], **aimed_at_bruno})

    assert step_1["Location"] == step_url(alice_token, 2)
    assert step_2["Location"] == step_url(alice_token, 3)
    alice_intake.refresh_from_db()
    assert alice_intake.phone == "+14155550123"
    assert alice_intake.pain_now == 5
    assert list(alice_intake.regions.values_list("region", flat=True)) == ["neck"]
    assert alice_intake.completed_steps == [1, 2]
    # An invited patient's name is the chart's: the link cannot change it.
    assert alice_intake.full_name == "Alice Anders"
    assert snapshot(bruno_intake) == bruno_before
    assert [chart(alice), chart(bruno)] == charts_before
    assert Intake.objects.count() == 2


def test_a_patients_link_never_shows_another_patients_details(client, alice, bruno, front_desk):
    _, alice_token, _ = link_with_draft(alice, front_desk)
    link_with_draft(bruno, front_desk)

    response = client.get(
        f"/intake/{alice_token}/",
        {"intake": str(bruno.intakes.get().code), "patient": str(bruno.code)},
        follow=True,
    )

    page = response.content.decode()
    assert response.redirect_chain == [(step_url(alice_token, 1), 302)]
    assert "Alice Anders" in page
    for detail in personal_details(bruno):
        assert detail not in page


def test_a_self_registration_link_reaches_only_its_own_pending_intake_and_makes_no_chart(
    client, alice, front_desk
):
    _, _, alice_intake = link_with_draft(alice, front_desk)
    alice_before = snapshot(alice_intake)
    alice_chart = chart(alice)
    patients = Patient.objects.count()

    token = start_self_registration(client)
    pending = Intake.objects.exclude(pk=alice_intake.pk).get()
    assert pending.patient is None
    assert IntakeInvitation.objects.get(token_hash=token_hash(token)).intake == pending
    first_page = client.get(step_url(token, 1)).content.decode()
    answer_steps_1_to_5(
        client,
        token,
        identity=SELF_IDENTITY,
        extra={"intake": str(alice_intake.code), "patient": str(alice.code)},
    )
    submitted = client.post(step_url(token, 6), consent("Sam Rivera"))

    assert submitted["Location"] == f"/intake/{token}/"
    pending.refresh_from_db()
    assert pending.status == Intake.Status.SUBMITTED
    assert pending.patient is None
    assert pending.full_name == "Sam Rivera"
    assert list(pending.medications.values_list("name", flat=True)) == ["Ibuprofen"]
    assert Patient.objects.count() == patients
    assert snapshot(alice_intake) == alice_before
    assert chart(alice) == alice_chart
    for detail in personal_details(alice):
        assert detail not in first_page


# --- After submission -----------------------------------------------------------------


def test_a_submitted_intakes_link_shows_a_thank_you_page_without_the_answers(
    client, alice, front_desk
):
    _, token, _ = submitted_link(
        alice,
        front_desk,
        pain_notes="Sharp when I look left",
        goals="Sleep through the night",
        health_notes="Knee replacement 2019",
    )

    response = client.get(f"/intake/{token}/")

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "intake/public/thank_you.html"
    page = response.content.decode()
    assert "Thank you, we have your answers" in page
    for answer in [
        "Sharp when I look left",
        "Sleep through the night",
        "Knee replacement 2019",
        "Turning my head to drive",
        "Neck pain",
        *personal_details(alice),
    ]:
        assert answer not in page


@pytest.mark.parametrize("step", [1, 2, 3, 4, 5, 6])
def test_a_submitted_intakes_steps_show_nothing_and_change_nothing(client, alice, front_desk, step):
    _, token, intake = submitted_link(alice, front_desk)
    before = snapshot(intake)
    alice_chart = chart(alice)

    shown = client.get(step_url(token, step))
    posted = client.post(step_url(token, step), step_answers(step, name="Someone Else"))

    assert shown.status_code == 302
    assert shown["Location"] == f"/intake/{token}/"
    assert posted.status_code == 302
    assert posted["Location"] == f"/intake/{token}/"
    assert snapshot(intake) == before
    assert chart(alice) == alice_chart


def test_a_link_used_to_submit_can_no_longer_change_the_answers(client, alice, front_desk):
    _, token, intake = link_with_draft(alice, front_desk)
    answer_steps_1_to_5(client, token)
    client.post(step_url(token, 6), consent("Alice Anders"))
    intake.refresh_from_db()
    assert intake.status == Intake.Status.SUBMITTED
    before = snapshot(intake)

    changed = client.post(step_url(token, 2), {**STEP_ANSWERS[2], "pain_now": "0"})
    again = client.post(step_url(token, 6), consent("Someone Else"))
    thank_you = client.get(f"/intake/{token}/")

    assert changed["Location"] == again["Location"] == f"/intake/{token}/"
    assert snapshot(intake) == before
    assert thank_you.status_code == 200
    assert "Ibuprofen" not in thank_you.content.decode()


# --- Rate limits ----------------------------------------------------------------------


def test_the_fourth_request_in_a_minute_from_one_address_is_asked_to_wait(
    client, settings, alice, front_desk
):
    settings.INTAKE_RATE_LIMIT = "3/m"
    _, token, intake = link_with_draft(alice, front_desk)
    before = snapshot(intake)

    allowed = [client.get(f"/intake/{token}/").status_code for _ in range(3)]
    refused = client.get(f"/intake/{token}/")
    refused_post = client.post(step_url(token, 1), STEP_ANSWERS[1])
    other_address = client.get(f"/intake/{token}/", REMOTE_ADDR="10.0.0.9")

    assert allowed == [302, 302, 302]
    assert refused.status_code == 429
    assert [t.name for t in refused.templates][0] == "intake/public/rate_limited.html"
    page = refused.content.decode()
    assert "Please wait a minute" in page
    assert "Alice" not in page
    assert refused_post.status_code == 429
    assert snapshot(intake) == before
    assert other_address.status_code == 302


def test_guessing_tokens_is_limited_per_address_whatever_the_token(
    client, settings, alice, front_desk
):
    settings.INTAKE_RATE_LIMIT = "3/m"
    _, token, _ = link_with_draft(alice, front_desk)

    guesses = [client.get(f"/intake/{secrets.token_urlsafe(32)}/").status_code for _ in range(3)]
    next_guess = client.get(f"/intake/{secrets.token_urlsafe(32)}/")
    real_link = client.get(f"/intake/{token}/")

    assert guesses == [404, 404, 404]
    assert next_guess.status_code == 429
    # A guess that happens to be right tells the guesser nothing either.
    assert real_link.status_code == 429
    assert "Alice" not in real_link.content.decode()


def test_starting_new_intakes_is_limited_per_address(client, settings):
    settings.INTAKE_START_RATE_LIMIT = "2/h"

    started = [client.post("/intake/start/").status_code for _ in range(2)]
    refused = client.post("/intake/start/")
    counts = (Intake.objects.count(), IntakeInvitation.objects.count())
    other_address = client.post("/intake/start/", REMOTE_ADDR="10.0.0.9")

    assert started == [302, 302]
    assert refused.status_code == 429
    assert "Please wait a minute" in refused.content.decode()
    assert counts == (2, 2)
    assert other_address.status_code == 302
    assert Intake.objects.count() == 3


def test_behind_a_trusted_proxy_the_limit_counts_each_patients_own_address(
    client, settings, alice, front_desk
):
    settings.CLIENT_IP_META_KEY = "HTTP_X_REAL_IP"
    settings.INTAKE_RATE_LIMIT = "2/m"
    _, token, _ = link_with_draft(alice, front_desk)
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    first = [
        client.get(f"/intake/{token}/", HTTP_X_REAL_IP="203.0.113.5", **proxy).status_code
        for _ in range(3)
    ]
    second = client.get(f"/intake/{token}/", HTTP_X_REAL_IP="203.0.113.6", **proxy)

    assert first == [302, 302, 429]
    assert second.status_code == 302


class Clock:
    """The time for the rate limiter and its database cache, moved on by hand."""

    def __init__(self):
        self.now = time.time()

    def time(self):
        return self.now

    def tz_now(self):
        return datetime.fromtimestamp(self.now, tz=UTC)


def test_the_hourly_start_limit_holds_for_the_whole_hour(client, settings):
    settings.INTAKE_START_RATE_LIMIT = "2/h"
    clock = Clock()
    with (
        mock.patch.object(django_ratelimit.core, "time", clock),
        mock.patch("core.ratelimit._now", clock.tz_now),
    ):
        if django_ratelimit.core._get_window("127.0.0.1", 3600) - clock.now < 15 * 60:
            clock.now += 20 * 60  # start early in an hour's window
        started = [client.post("/intake/start/").status_code for _ in range(3)]
        clock.now += 6 * 60
        six_minutes_later = client.post("/intake/start/")

    assert started == [302, 302, 429]
    assert six_minutes_later.status_code == 429
    assert Intake.objects.count() == 2


def test_requests_that_arrive_together_are_each_counted(client, settings, alice, front_desk):
    settings.INTAKE_RATE_LIMIT = "2/m"
    _, token, _ = link_with_draft(alice, front_desk)
    cache = caches["ratelimit"]
    read_count = cache.get
    statuses = [client.get(f"/intake/{token}/").status_code]

    overtaken = []

    def overtaken_read(*args, **kwargs):
        # Another request is handled between this request's read and its write.
        value = read_count(*args, **kwargs)
        if not overtaken:
            overtaken.append(True)
            statuses.append(client.get(f"/intake/{token}/").status_code)
        return value

    with mock.patch.object(cache, "get", overtaken_read):
        statuses.append(client.get(f"/intake/{token}/").status_code)
    if not overtaken:  # the cache counted without reading first
        statuses.append(client.get(f"/intake/{token}/").status_code)

    assert sorted(statuses) == [302, 302, 429]


# --- CSRF -----------------------------------------------------------------------------


def test_starting_an_intake_needs_the_forms_csrf_token():
    browser = Client(enforce_csrf_checks=True)

    forged = browser.post("/intake/start/")
    assert forged.status_code == 403
    assert "Please try again" in forged.content.decode()  # in words, not a stack of jargon
    assert Intake.objects.count() == IntakeInvitation.objects.count() == 0

    browser.get("/intake/start/")
    genuine = browser.post(
        "/intake/start/", {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value}
    )
    assert genuine.status_code == 302
    assert Intake.objects.count() == 1


@pytest.mark.parametrize("step", [1, 2, 3, 4, 5, 6])
def test_every_step_form_needs_the_csrf_token(alice, front_desk, step):
    _, token, intake = ready_to_submit(alice, front_desk)
    before = snapshot(intake)
    browser = Client(enforce_csrf_checks=True)

    forged = browser.post(step_url(token, step), step_answers(step))

    assert forged.status_code == 403
    assert snapshot(intake) == before

    browser.get(step_url(token, step))
    genuine = browser.post(
        step_url(token, step),
        {**step_answers(step), "csrfmiddlewaretoken": browser.cookies["csrftoken"].value},
    )
    assert genuine.status_code == 302
    assert snapshot(intake) != before


# --- Logs -----------------------------------------------------------------------------


def console_handler():
    """The root logger's console handler, configured by settings.LOGGING."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactIntakeTokens) for f in handler.filters)
    ]
    assert [handler.name for handler in handlers] == ["console"]
    return handlers[0]


@pytest.fixture
def console_log():
    """What the console handler prints, as text."""
    handler = console_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


# Requests refused in the ways Django logs: (status, what the log says, the request).


def unknown_link(token, settings):
    return 404, "Not Found: /intake/[token]/step/1/", Client().get(step_url(token, 1))


def expired_link(token, settings):
    IntakeInvitation.objects.filter(token_hash=token_hash(token)).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    return 410, "Gone: /intake/[token]/", Client().get(f"/intake/{token}/")


def revoked_link(token, settings):
    IntakeInvitation.objects.filter(token_hash=token_hash(token)).update(revoked_at=timezone.now())
    response = Client().post(step_url(token, 1), STEP_ANSWERS[1])
    return 410, "Gone: /intake/[token]/step/1/", response


def server_error(token, settings):
    with mock.patch(
        "intake.public_views.intake_open", side_effect=RuntimeError("database went away")
    ):
        response = Client(raise_request_exception=False).get(f"/intake/{token}/")
    return 500, "Internal Server Error: /intake/[token]/", response


def missing_csrf_token(token, settings):
    response = Client(enforce_csrf_checks=True).post(step_url(token, 1), STEP_ANSWERS[1])
    return 403, "Forbidden (CSRF cookie not set.): /intake/[token]/step/1/", response


def too_many_fields(token, settings):
    fields = {f"field_{n}": "x" for n in range(1100)}  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = Client().post(step_url(token, 1), fields)
    return 400, "The number of GET/POST parameters exceeded", response


def wrong_method(token, settings):
    response = Client().put(f"/intake/{token}/")
    return 405, "Method Not Allowed (PUT): /intake/[token]/", response


def rate_limited(token, settings):
    settings.INTAKE_RATE_LIMIT = "1/m"
    browser = Client()
    browser.get(f"/intake/{token}/")
    return 429, "Too Many Requests: /intake/[token]/", browser.get(f"/intake/{token}/")


@pytest.mark.parametrize(
    "scenario",
    [
        unknown_link,
        expired_link,
        revoked_link,
        server_error,
        missing_csrf_token,
        too_many_fields,
        wrong_method,
        rate_limited,
    ],
)
def test_link_tokens_never_reach_the_logs(
    alice, front_desk, settings, caplog, console_log, scenario
):
    _invitation, token, _path = make_invitation(alice, created_by=front_desk)
    if scenario is unknown_link:
        token = secrets.token_urlsafe(32)

    with (
        caplog.at_level(logging.DEBUG),
        caplog.at_level(logging.DEBUG, logger="django"),
        CaptureQueriesContext(connection),  # SQL is logged too
    ):
        status, logged, response = scenario(token, settings)

    assert response.status_code == status
    messages = [record.getMessage() for record in caplog.records]
    assert any(logged in message for message in messages), messages
    assert [message for message in messages if token in message] == []
    assert token not in caplog.text  # tracebacks included
    for record in caplog.records:
        # A handler that prints the request Django attaches must not find the token.
        assert token not in getattr(getattr(record, "request", None), "path", "")
    printed = console_log.getvalue()
    assert logged in printed
    assert token not in printed


def test_an_apps_own_log_records_are_redacted_by_the_console_handler(console_log):
    token = secrets.token_urlsafe(32)

    logging.getLogger("intake.anything").warning("Opened %s", f"/intake/{token}/step/2/")

    assert console_log.getvalue() == "Opened /intake/[token]/step/2/\n"


def test_a_token_passed_as_an_argument_of_an_intake_path_is_redacted(console_log, capsys):
    token = secrets.token_urlsafe(32)
    record = logging.LogRecord(
        "intake.views", logging.WARNING, __file__, 1, "Link emailed: /intake/%s/", (token,), None
    )

    console_handler().handle(record)

    printed = console_log.getvalue() + capsys.readouterr().err
    assert token not in printed
    assert "Link emailed: /intake/[token]/" in printed


def fail_to_email_a_link(desk_client, patient, caplog):
    """Make a link for the patient while the mail server refuses the address."""
    refused = smtplib.SMTPRecipientsRefused({patient.email: (550, b"5.1.1 No such user")})
    with (
        caplog.at_level(logging.DEBUG),
        mock.patch("clinic.views.invitation_send_email", side_effect=refused),
    ):
        response = desk_client.post(
            f"/patients/{patient.code}/intake-invitations/", {"send_email": "1"}
        )
    assert response.status_code == 200
    assert "the email could not be sent" in response.content.decode()
    return re.search(r"/intake/([A-Za-z0-9_-]{43})/", response.content.decode())[1]


def test_a_failed_link_email_does_not_log_the_link(desk_client, alice, caplog, console_log):
    token = fail_to_email_a_link(desk_client, alice, caplog)

    assert "Sending an intake link email failed" in caplog.text
    assert token not in caplog.text
    assert token not in console_log.getvalue()


def test_a_failed_link_email_does_not_log_the_patients_address(
    desk_client, alice, caplog, console_log
):
    fail_to_email_a_link(desk_client, alice, caplog)

    assert "Sending an intake link email failed" in console_log.getvalue()
    assert alice.email not in console_log.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Not Found: /intake/AbC-_123/", "Not Found: /intake/[token]/"),
        ("Gone: /intake/AbC-_123/step/6/", "Gone: /intake/[token]/step/6/"),
        (
            '"GET /intake/AbC-_123/step/2/?x=1 HTTP/1.1" 302 0',
            '"GET /intake/[token]/step/2/?x=1 HTTP/1.1" 302 0',
        ),
        ("https://clinic.example/intake/AbC-_123/", "https://clinic.example/intake/[token]/"),
        ("/intake/AbC/ then /intake/XyZ/step/1/", "/intake/[token]/ then /intake/[token]/step/1/"),
        ("/intake/AbC", "/intake/[token]"),
        ("Not Found: /intake/start/", "Not Found: /intake/start/"),
        ('"POST /intake/start/ HTTP/1.1" 302 0', '"POST /intake/start/ HTTP/1.1" 302 0'),
        ("/patients/5d1c0b9e-0000-4000-8000-000000000000/", None),
        ("/intakes/5d1c0b9e-0000-4000-8000-000000000000/review/", None),
    ],
)
def test_redact_replaces_the_token_in_any_intake_path(text, expected):
    assert redact(text) == (text if expected is None else expected)


def log_record(msg, args, request_path=None):
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, msg, args, None)
    if request_path is not None:
        record.request = types.SimpleNamespace(path=request_path)
    return record


def test_the_filter_redacts_the_message_and_string_arguments():
    record = log_record("%s: %s (%d) /intake/SeCrEt/", ("Not Found", "/intake/SeCrEt/", 404))

    assert RedactIntakeTokens().filter(record) is True
    assert record.getMessage() == "Not Found: /intake/[token]/ (404) /intake/[token]/"


def test_the_filter_redacts_dictionary_arguments():
    record = log_record("%(status)s %(path)s", ({"status": 410, "path": "/intake/SeCrEt/"},))

    RedactIntakeTokens().filter(record)

    assert record.getMessage() == "410 /intake/[token]/"


def test_the_filter_drops_a_request_whose_path_carries_a_token():
    record = log_record("%s: %s", ("Gone", "/intake/SeCrEt/"), request_path="/intake/SeCrEt/")

    RedactIntakeTokens().filter(record)

    assert record.request is None


def test_the_filter_leaves_the_start_page_alone():
    record = log_record("%s: %s", ("Forbidden", "/intake/start/"), request_path="/intake/start/")

    RedactIntakeTokens().filter(record)

    assert record.getMessage() == "Forbidden: /intake/start/"
    assert record.request.path == "/intake/start/"


# --- Caching and referrers --------------------------------------------------------------


def page_response(page, client, settings, patient, user):
    if page == "start page":
        return client.get("/intake/start/")
    if page == "new intake":
        return client.post("/intake/start/")
    if page == "thank-you page":
        return client.get(f"/intake/{submitted_link(patient, user)[1]}/")
    if page == "unknown link":
        return client.get(f"/intake/{secrets.token_urlsafe(32)}/")
    invitation, token, _intake = link_with_draft(patient, user)
    if page == "link":
        return client.get(f"/intake/{token}/")
    if page == "step page":
        return client.get(step_url(token, 1))
    if page == "step with errors":
        return client.post(step_url(token, 1), {"phone": "not a phone"})
    if page == "saved step":
        return client.post(step_url(token, 1), STEP_ANSWERS[1])
    if page == "expired link":
        make_unusable("expired", invitation, patient, user)
        return client.get(f"/intake/{token}/")
    assert page == "rate limited"
    settings.INTAKE_RATE_LIMIT = "1/m"
    client.get(f"/intake/{token}/")
    return client.get(f"/intake/{token}/")


@pytest.mark.parametrize(
    ("page", "status"),
    [
        ("start page", 200),
        ("new intake", 302),
        ("link", 302),
        ("step page", 200),
        ("step with errors", 200),
        ("saved step", 302),
        ("thank-you page", 200),
        ("unknown link", 404),
        ("expired link", 410),
        ("rate limited", 429),
    ],
)
def test_intake_pages_are_never_cached_and_never_tell_other_sites_their_address(
    client, settings, alice, front_desk, page, status
):
    response = page_response(page, client, settings, alice, front_desk)

    assert response.status_code == status
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-cache", "no-store", "must-revalidate", "private", "max-age=0"} <= cache_control
    assert response["Referrer-Policy"] == "same-origin"


# --- Consent --------------------------------------------------------------------------


def test_consent_records_the_typed_name_the_time_and_the_address(client, alice, front_desk):
    _, token, intake = ready_to_submit(alice, front_desk)

    before = timezone.now()
    response = client.post(step_url(token, 6), consent("Alice  Anders "), REMOTE_ADDR="203.0.113.7")
    after = timezone.now()

    assert response["Location"] == f"/intake/{token}/"
    intake.refresh_from_db()
    assert intake.status == Intake.Status.SUBMITTED
    assert intake.consent_to_treatment and intake.privacy_acknowledged
    assert intake.signature_name == "Alice Anders"
    assert before <= intake.consented_at <= after
    assert intake.consent_ip == "203.0.113.7"


def test_consent_records_the_address_a_trusted_proxy_reports(client, settings, alice, front_desk):
    settings.CLIENT_IP_META_KEY = "HTTP_X_REAL_IP"
    _, token, intake = ready_to_submit(alice, front_desk)

    client.post(
        step_url(token, 6),
        consent("Alice Anders"),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_REAL_IP="198.51.100.23",
    )

    intake.refresh_from_db()
    assert intake.status == Intake.Status.SUBMITTED
    assert intake.consent_ip == "198.51.100.23"


def test_consent_ignores_addresses_a_patient_puts_in_front_of_the_proxys_own(
    client, settings, alice, front_desk
):
    settings.CLIENT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"
    _, token, intake = ready_to_submit(alice, front_desk)

    client.post(
        step_url(token, 6),
        consent("Alice Anders"),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.24",
    )

    intake.refresh_from_db()
    assert intake.consent_ip == "198.51.100.24"
