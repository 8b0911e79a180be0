"""The audit trail as the clinic relies on it (issue 6): every read of a chart, an
intake, a note, a plan or an export, every change, every login, failed login,
lockout, wrong two-factor code and refused request is one entry saying who, when,
which patient, what (the fields changed) and from which address. Entries are
never changed or deleted, and application logs carry no patient data or secrets.

Everything is done through the web pages, as staff and patients use them; the
entries are then read back from the trail.
"""

import datetime
import json
import logging
import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles
from accounts.models import User
from audit.models import AuditEntry
from intake.models import Intake, IntakeInvitation, Patient
from plans.models import Plan, PlanDecision
from scheduling.models import Appointment
from sessions.models import SessionAddendum, TreatmentSession
from tests.browser_forms import form_values
from tests.factories import (
    SCREENING_NO,
    TEST_PASSWORD,
    AppointmentFactory,
    IntakeFactory,
    PatientFactory,
    TreatmentSessionFactory,
    UserFactory,
    make_invitation,
    make_plan,
    sign_history,
)
from tests.payloads import open_day, session_note

pytestmark = pytest.mark.django_db


def _session_form(**changes) -> dict:
    return session_note(pain_before="6", pain_after="3", **changes)


Event = AuditEntry.Event

# The address every request in these tests comes from (TEST-NET-2, RFC 5737).
ADDRESS = "198.51.100.23"
LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"
VERIFY = "/accounts/two-factor/verify/"


# --- Reading the trail ---------------------------------------------------------------


class Trail:
    """The entries written after the moment it was made, oldest first."""

    def __init__(self):
        last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
        self.since = last or 0

    def new(self, **filters) -> list[AuditEntry]:
        return list(
            AuditEntry.objects.filter(id__gt=self.since, **filters)
            .select_related("actor", "content_type")
            .order_by("id")
        )

    def one(self, **filters) -> AuditEntry:
        found = self.new(**filters)
        assert len(found) == 1, [(e.event, e.content_type, e.changes) for e in self.new()]
        return found[0]


def _is_about(entry: AuditEntry, obj) -> bool:
    same_kind = entry.content_type == ContentType.objects.get_for_model(obj)
    return same_kind and entry.object_pk == str(obj.pk)


def _everything_in(entry: AuditEntry) -> str:
    """Every value the entry stores, as one string (to look for what must not be there)."""
    values = {
        field.attname: getattr(entry, field.attname) for field in AuditEntry._meta.concrete_fields
    }
    return json.dumps(values, default=str)


def _login(client, user):
    client.force_login(user)
    return client


def _get(client, url, **extra):
    """A GET from the clinic's address, with a query string the trail must not keep."""
    return client.get(url, {"from": "bookmark", "q": "Jane Doe"}, REMOTE_ADDR=ADDRESS, **extra)


def _post(client, url, data=None, **extra):
    return client.post(url, data or {}, REMOTE_ADDR=ADDRESS, **extra)


# --- Forms as the browser sends them ----------------------------------------------


def _patient_form(**changes) -> dict:
    data = {
        "first_name": "Ada",
        "last_name": "Quist",
        "preferred_name": "",
        "date_of_birth": "1971-05-09",
        "sex": "female",
        "email": "ada.quist@example.com",
        "phone": "(415) 555-0142",
        "address": "",
        "emergency_contact_name": "",
        "emergency_contact_relationship": "",
        "emergency_contact_phone": "",
    }
    data.update(changes)
    return data


def _edit_form(patient: Patient, **changes) -> dict:
    """The patient edit form as the page fills it, with `changes` typed over it."""
    data = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "preferred_name": patient.preferred_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        "email": patient.email,
        "phone": patient.phone,
        "address": patient.address,
        "emergency_contact_name": patient.emergency_contact_name,
        "emergency_contact_relationship": patient.emergency_contact_relationship,
        "emergency_contact_phone": patient.emergency_contact_phone,
        "reminder_channel": patient.reminder_channel,
        "version": str(patient.version),
    }
    data.update(changes)
    return data


def _plan_form(practitioner, **changes) -> dict:
    data = {
        "practitioner": str(practitioner.pk),
        "months_with_pain": "12",
        "target_pain": "2",
        "functional_goals": "Turn my head to reverse the car",
        "pain_pattern": "Aching neck, worse after desk work",
        "advice": ["exercise", "posture"],
        "advice_notes": "Chin tucks twice a day.",
        "referral_notes": "",
        "review_date": (timezone.localdate() + datetime.timedelta(weeks=6)).isoformat(),
    }
    data.update(changes)
    return data


def _plan_edit_form(plan: Plan, **changes) -> dict:
    data = {
        "practitioner": str(plan.practitioner_id),
        "months_with_pain": str(plan.months_with_pain or ""),
        "target_pain": "" if plan.target_pain is None else str(plan.target_pain),
        "functional_goals": plan.functional_goals,
        "pain_pattern": plan.pain_pattern,
        "advice": plan.advice,
        "advice_notes": plan.advice_notes,
        "referral_notes": plan.referral_notes,
        "review_date": plan.review_date.isoformat() if plan.review_date else "",
        "reason": "Goals agreed at the review",
        "version": str(plan.version),
    }
    data.update(changes)
    return data


# The patient's answers, step by step (an invited patient: the chart holds the name).
INTAKE_STEPS = {
    1: {
        "preferred_name": "Janie",
        "phone": "(415) 555-0100",
        "email": "jane.doe@example.com",
        "address": "1 Main Street",
        "emergency_contact_name": "John Doe",
        "emergency_contact_relationship": "Husband",
        "emergency_contact_phone": "415 555 0101",
        "reminder_channel": "email",
    },
    2: {
        "pain_types": ["neck_pain"],
        "pain_now": "7",
        "pain_worst": "9",
        "pain_locations": ["neck"],
        "pain_location_score_neck": "7",
        "months_with_pain": "18",
        "onset": "gradual",
        "cause": "repetitive_strain",
    },
    3: {"psfs_activity_1": "Turning my head to drive", "psfs_score_1": "3"},
    4: {"medications-TOTAL_FORMS": "0", "medications-INITIAL_FORMS": "0"},
    5: {**SCREENING_NO, "previous_acupuncture": "no", "goals": "Drive without pain."},
}
CONSENT = {
    "consent_to_treatment": "on",
    "privacy_acknowledged": "on",
    "signature_name": "Jane Doe",
}


# --- Fixtures ------------------------------------------------------------------------


@pytest.fixture
def world(patient, front_desk, acupuncturist):
    """Jane Doe with a submitted intake, a signed note and a draft, an active plan and
    a booked visit; and a self-registration waiting for the front desk."""
    intake = IntakeFactory(patient=patient, submitted=True)
    plan = make_plan(patient, user=acupuncturist, months_with_pain=12, target_pain=2)
    [session] = sign_history(patient, user=acupuncturist, scores=[7])
    draft = TreatmentSessionFactory(patient=patient, created_by=acupuncturist)
    appointment = AppointmentFactory(
        patient=patient, practitioner=acupuncturist, created_by=front_desk
    )
    pending = IntakeFactory(
        patient=None,
        submitted=True,
        first_name="Sam",
        last_name="Rivera",
        date_of_birth=datetime.date(1980, 4, 25),
        phone="+14155550199",
    )
    plan.refresh_from_db()
    return {
        "patient": patient,
        "intake": intake,
        "plan": plan,
        "session": session,
        "draft": draft,
        "appointment": appointment,
        "pending": pending,
    }


# --- Reads: each page that shows a record writes one entry --------------------------

# (page, url, the record the entry names, the entry's patient, the event, roles that open it)
READS = [
    (
        "chart",
        lambda w: f"/patients/{w['patient'].code}/",
        lambda w: w["patient"],
        lambda w: w["patient"],
        Event.READ,
        ["front_desk", "acupuncturist", "clinic_admin"],
    ),
    (
        "patient edit page",
        lambda w: f"/patients/{w['patient'].code}/edit/",
        lambda w: w["patient"],
        lambda w: w["patient"],
        Event.READ,
        ["front_desk", "clinic_admin"],
    ),
    (
        "self-registration review",
        lambda w: f"/intakes/{w['pending'].code}/register/",
        lambda w: w["pending"],
        lambda w: None,  # no chart holds it yet
        Event.READ,
        ["front_desk", "clinic_admin"],
    ),
    (
        "session note",
        lambda w: f"/sessions/{w['session'].code}/",
        lambda w: w["session"],
        lambda w: w["patient"],
        Event.READ,
        ["acupuncturist", "clinic_admin"],
    ),
    (
        "new session form",
        lambda w: f"/patients/{w['patient'].code}/sessions/new/",
        lambda w: w["patient"],
        lambda w: w["patient"],
        Event.READ,
        ["acupuncturist"],
    ),
    (
        "draft session form",
        lambda w: f"/sessions/{w['draft'].code}/edit/",
        lambda w: w["draft"],
        lambda w: w["patient"],
        Event.READ,
        ["acupuncturist"],
    ),
    (
        "plan page",
        lambda w: f"/patients/{w['patient'].code}/plan/",
        lambda w: w["plan"],
        lambda w: w["patient"],
        Event.READ,
        ["front_desk", "acupuncturist", "clinic_admin"],
    ),
    (
        "plan history page",
        lambda w: f"/plans/{w['plan'].code}/",
        lambda w: w["plan"],
        lambda w: w["patient"],
        Event.READ,
        ["acupuncturist", "clinic_admin"],
    ),
    (
        "plan edit page",
        lambda w: f"/plans/{w['plan'].code}/edit/",
        lambda w: w["plan"],
        lambda w: w["patient"],
        Event.READ,
        ["acupuncturist"],
    ),
    (
        "calendar file",
        lambda w: f"/appointments/{w['appointment'].code}/ics/",
        lambda w: w["appointment"],
        lambda w: w["patient"],
        Event.EXPORT,
        ["front_desk", "acupuncturist", "clinic_admin"],
    ),
]
READ_CASES = [
    pytest.param(url, record, whose, event, role, id=f"{page}-{role}")
    for page, url, record, whose, event, who in READS
    for role in who
]


@pytest.mark.parametrize(("url", "record", "whose", "event", "role"), READ_CASES)
def test_opening_a_record_writes_one_entry_with_who_what_whom_where_and_from_where(
    client, users, world, url, record, whose, event, role
):
    user = users[role]
    _login(client, user)
    trail = Trail()
    before = timezone.now()

    response = _get(client, url(world))

    assert response.status_code == 200
    entry = trail.one()  # nothing else is written by a read
    assert entry.event == event
    assert entry.actor == user
    assert entry.username == user.username
    expected_patient = whose(world)
    assert entry.patient_id == (expected_patient.pk if expected_patient else None)
    assert _is_about(entry, record(world)), (entry.content_type, entry.object_pk)
    assert entry.path == url(world), "the path, never the query string"
    assert entry.remote_addr == ADDRESS
    assert before <= entry.timestamp <= timezone.now()
    assert entry.changes in (None, {})


def test_opening_the_chart_twice_writes_two_entries(client, front_desk, patient):
    _login(client, front_desk)
    trail = Trail()

    _get(client, f"/patients/{patient.code}/")
    _get(client, f"/patients/{patient.code}/")

    assert [e.event for e in trail.new()] == [Event.READ, Event.READ]


def test_the_query_string_of_a_read_is_not_kept_anywhere_in_the_entry(client, front_desk, patient):
    _login(client, front_desk)
    trail = Trail()

    client.get(
        f"/patients/{patient.code}/",
        {"q": "Doe 415-555-0100", "sessions_page": "2"},
        REMOTE_ADDR=ADDRESS,
    )

    entry = trail.one()
    stored = _everything_in(entry)
    assert "415-555-0100" not in stored
    assert "sessions_page" not in stored


def test_the_address_is_the_one_the_app_trusts_not_one_the_browser_claims(
    client, front_desk, patient, settings
):
    _login(client, front_desk)
    trail = Trail()

    client.get(f"/patients/{patient.code}/", REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR="10.9.8.7")
    settings.CLIENT_IP_META_KEY = "HTTP_X_REAL_IP"  # behind a proxy that sets X-Real-IP
    client.get(f"/patients/{patient.code}/", REMOTE_ADDR="10.0.0.2", HTTP_X_REAL_IP="203.0.113.50")

    assert [e.remote_addr for e in trail.new()] == [ADDRESS, "203.0.113.50"]


def test_a_change_behind_the_proxy_records_the_clients_address(
    client, front_desk, patient, settings
):
    settings.CLIENT_IP_META_KEY = "HTTP_X_REAL_IP"
    _login(client, front_desk)
    trail = Trail()

    client.post(
        f"/patients/{patient.code}/archive/",
        {"reason": ""},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_REAL_IP="203.0.113.50",
    )

    assert trail.one(event=Event.UPDATE).remote_addr == "203.0.113.50"


# (what is refused, who, url): each answers 403
REFUSED = [
    ("chart", "no_role", lambda w: f"/patients/{w['patient'].code}/"),
    ("session note", "front_desk", lambda w: f"/sessions/{w['session'].code}/"),
    ("plan history page", "front_desk", lambda w: f"/plans/{w['plan'].code}/"),
    ("patient edit page", "acupuncturist", lambda w: f"/patients/{w['patient'].code}/edit/"),
    ("session form", "clinic_admin", lambda w: f"/patients/{w['patient'].code}/sessions/new/"),
    ("calendar file", "no_role", lambda w: f"/appointments/{w['appointment'].code}/ics/"),
]


@pytest.mark.parametrize(
    ("role", "url"),
    [pytest.param(role, url, id=f"{page}-{role}") for page, role, url in REFUSED],
)
def test_a_refused_read_writes_a_denied_entry_and_no_read(client, users, world, role, url):
    user = users[role]
    _login(client, user)
    trail = Trail()

    response = _get(client, url(world))

    assert response.status_code == 403
    entry = trail.one()
    assert entry.event == Event.DENIED
    assert entry.actor == user
    assert entry.path == url(world)
    assert entry.remote_addr == ADDRESS
    assert not trail.new(event__in=[Event.READ, Event.EXPORT])


def test_an_unknown_chart_writes_no_read(client, front_desk):
    _login(client, front_desk)
    trail = Trail()

    response = _get(client, "/patients/00000000-0000-4000-8000-000000000000/")

    assert response.status_code == 404
    assert not trail.new(event=Event.READ)


# --- Writes through the pages -------------------------------------------------------


def test_registering_a_patient_records_the_creation_with_every_field_given(client, front_desk):
    _login(client, front_desk)
    trail = Trail()

    response = _post(client, "/patients/new/", _patient_form())

    assert response.status_code == 302
    patient = Patient.objects.get(last_name="Quist")
    entry = trail.one(event=Event.CREATE)
    assert _is_about(entry, patient)
    assert entry.patient_id == patient.pk
    assert (entry.actor, entry.remote_addr) == (front_desk, ADDRESS)
    changes = entry.changes
    assert changes["first_name"][1] == "Ada"
    assert changes["last_name"][1] == "Quist"
    assert changes["date_of_birth"][1] == "1971-05-09"
    assert changes["phone"][1] == "+14155550142"
    assert changes["email"][1] == "ada.quist@example.com"
    assert changes["sex"][1] == "female"


def test_editing_demographics_records_only_the_fields_changed_with_before_and_after(
    client, front_desk, patient
):
    _login(client, front_desk)
    trail = Trail()

    response = _post(
        client,
        f"/patients/{patient.code}/edit/",
        _edit_form(patient, last_name="Smith", email="jane.smith@example.com"),
    )

    assert response.status_code == 302
    entry = trail.one(event=Event.UPDATE)
    assert _is_about(entry, patient)
    assert entry.patient_id == patient.pk
    assert (entry.actor, entry.remote_addr) == (front_desk, ADDRESS)
    assert entry.changes["last_name"] == ["Doe", "Smith"]
    assert entry.changes["email"] == ["jane.doe@example.com", "jane.smith@example.com"]
    assert "first_name" not in entry.changes
    assert "phone" not in entry.changes
    assert "date_of_birth" not in entry.changes


def test_a_stale_edit_saves_nothing_and_records_no_change(client, front_desk, patient):
    _login(client, front_desk)
    stale = _edit_form(patient, last_name="Smith")
    _post(client, f"/patients/{patient.code}/edit/", _edit_form(patient, first_name="Janet"))
    trail = Trail()

    response = _post(client, f"/patients/{patient.code}/edit/", stale)

    assert response.status_code == 409
    assert not trail.new(event=Event.UPDATE)


def test_archiving_a_chart_records_the_status_and_reason(client, front_desk, patient):
    _login(client, front_desk)
    trail = Trail()

    response = _post(client, f"/patients/{patient.code}/archive/", {"reason": "Moved away"})

    assert response.status_code == 302
    entry = trail.one(event=Event.UPDATE)
    assert _is_about(entry, patient)
    assert (entry.actor, entry.patient_id, entry.remote_addr) == (front_desk, patient.pk, ADDRESS)
    assert entry.changes["status"] == ["active", "archived"]
    assert entry.changes["archive_reason"] == ["", "Moved away"]


def _link_on_page(response) -> str:
    match = re.search(r"/intake/([A-Za-z0-9_-]{20,})/", response.content.decode())
    assert match, "the new link is shown on the chart"
    return match.group(1)


def test_making_an_intake_link_records_it_without_its_token_or_hash(client, front_desk, patient):
    _login(client, front_desk)
    trail = Trail()

    response = _post(client, f"/patients/{patient.code}/intake-invitations/")

    assert response.status_code == 200
    token = _link_on_page(response)
    invitation = IntakeInvitation.objects.get(patient=patient)
    entry = trail.one(event=Event.CREATE)
    assert _is_about(entry, invitation)
    assert (entry.actor, entry.patient_id, entry.remote_addr) == (front_desk, patient.pk, ADDRESS)
    assert "expires_at" in entry.changes
    assert "token_hash" not in entry.changes
    for entry in trail.new():  # the chart shown with the link is a read
        stored = _everything_in(entry)
        assert token not in stored
        assert invitation.token_hash not in stored


def test_revoking_an_intake_link_is_recorded(client, front_desk, patient):
    invitation, _token, _path = make_invitation(patient, created_by=front_desk)
    _login(client, front_desk)
    trail = Trail()

    response = _post(client, f"/patients/{patient.code}/intake-invitations/revoke/")

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    entry = trail.one(event=Event.UPDATE)
    assert _is_about(entry, invitation)
    assert entry.changes["revoked_at"][0] in (None, "None")


def test_a_patient_submitting_the_intake_is_recorded_with_no_staff_actor(patient, front_desk):
    _invitation, token, link = make_invitation(patient, created_by=front_desk)
    browser = Client()
    trail = Trail()

    for step, answers in INTAKE_STEPS.items():
        response = _post(browser, f"{link}step/{step}/", answers)
        assert response.status_code == 302, (step, response.content.decode()[:1500])
    response = _post(browser, f"{link}step/6/", CONSENT)

    assert response.status_code == 302
    intake = Intake.objects.get(patient=patient)
    assert intake.status == Intake.Status.SUBMITTED
    about_intake = [e for e in trail.new() if _is_about(e, intake)]
    assert [e.event for e in about_intake][0] == Event.CREATE
    submitted = [e for e in about_intake if "submitted_at" in (e.changes or {})]
    assert len(submitted) == 1
    [entry] = submitted
    assert entry.event == Event.UPDATE
    assert entry.changes["status"] == ["draft", "submitted"]
    assert entry.changes["signature_name"] == ["", "Jane Doe"]
    for entry in trail.new():
        assert entry.actor is None, "no staff member did this"
        assert entry.patient_id == patient.pk
        assert entry.remote_addr == ADDRESS
        assert token not in _everything_in(entry)
    # The contact details copied onto the chart are a change of the chart.
    chart_change = trail.one(
        event=Event.UPDATE, content_type__model="patient", object_pk=str(patient.pk)
    )
    assert chart_change.changes["emergency_contact_name"] == ["", "John Doe"]


def test_logging_and_signing_a_session_records_the_note_and_its_signature(
    client, acupuncturist, patient
):
    _login(client, acupuncturist)
    trail = Trail()

    response = _post(client, f"/patients/{patient.code}/sessions/new/", _session_form())

    assert response.status_code == 302
    session = TreatmentSession.objects.get(patient=patient)
    created = trail.one(event=Event.CREATE, object_pk=str(session.pk))
    assert _is_about(created, session)
    assert (created.actor, created.patient_id, created.remote_addr) == (
        acupuncturist,
        patient.pk,
        ADDRESS,
    )
    assert created.changes["pain_before"][1] in (6, "6")
    assert created.changes["subjective"][1] == "Neck stiff since Monday."
    assert "form_token" not in created.changes

    signing = Trail()
    response = _post(client, f"/sessions/{session.code}/sign/")

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.is_signed
    signed = signing.one(event=Event.UPDATE, object_pk=str(session.pk))
    assert _is_about(signed, session)
    assert signed.changes["status"] == ["draft", "signed"]
    assert "signed_at" in signed.changes
    assert (signed.actor, signed.patient_id, signed.remote_addr) == (
        acupuncturist,
        patient.pk,
        ADDRESS,
    )


def test_the_points_needled_are_in_the_trail_of_the_note(client, acupuncturist, patient):
    _login(client, acupuncturist)
    trail = Trail()

    _post(client, f"/patients/{patient.code}/sessions/new/", _session_form(points="GB20, LI4"))

    session = TreatmentSession.objects.get(patient=patient)
    recorded = [
        e.changes["points"]
        for e in trail.new(object_pk=str(session.pk))
        if "points" in (e.changes or {}) and e.content_type.model == "treatmentsession"
    ]
    assert recorded, "the needled points appear in the session's entries"
    assert any("GB20" in json.dumps(change) and "LI4" in json.dumps(change) for change in recorded)


def test_an_addendum_is_recorded_with_its_text_and_the_patient(client, acupuncturist, world):
    session = world["session"]
    _login(client, acupuncturist)
    trail = Trail()

    response = _post(
        client, f"/sessions/{session.code}/addenda/", {"text": "Patient called: less pain."}
    )

    assert response.status_code == 302
    addendum = SessionAddendum.objects.get(session=session)
    entry = trail.one(event=Event.CREATE)
    assert _is_about(entry, addendum)
    assert (entry.actor, entry.patient_id, entry.remote_addr) == (
        acupuncturist,
        world["patient"].pk,
        ADDRESS,
    )
    assert entry.changes["text"][1] == "Patient called: less pain."


def test_starting_a_plan_is_recorded_with_its_details(client, acupuncturist, patient):
    _login(client, acupuncturist)
    trail = Trail()

    response = _post(client, f"/patients/{patient.code}/plan/new/", _plan_form(acupuncturist))

    assert response.status_code == 302
    plan = Plan.objects.get(patient=patient)
    entry = trail.one(event=Event.CREATE, content_type__model="plan")
    assert _is_about(entry, plan)
    assert (entry.actor, entry.patient_id, entry.remote_addr) == (
        acupuncturist,
        patient.pk,
        ADDRESS,
    )
    assert entry.changes["functional_goals"][1] == "Turn my head to reverse the car"
    assert entry.changes["target_pain"][1] in (2, "2")


def test_editing_a_plan_records_the_fields_changed(client, acupuncturist, world):
    plan = world["plan"]
    _login(client, acupuncturist)
    trail = Trail()

    response = _post(
        client,
        f"/plans/{plan.code}/edit/",
        _plan_edit_form(plan, target_pain="1", functional_goals="Sleep through the night"),
    )

    assert response.status_code == 302
    [entry] = [e for e in trail.new(event=Event.UPDATE) if _is_about(e, plan)]
    assert (entry.actor, entry.patient_id, entry.remote_addr) == (
        acupuncturist,
        world["patient"].pk,
        ADDRESS,
    )
    assert [str(v) for v in entry.changes["target_pain"]] == ["2", "1"]
    assert entry.changes["functional_goals"][1] == "Sleep through the night"
    assert "months_with_pain" not in entry.changes


def test_a_plan_decision_is_recorded_with_its_kind_and_reason(client, acupuncturist, world):
    plan = world["plan"]
    _login(client, acupuncturist)
    trail = Trail()

    response = _post(
        client,
        f"/plans/{plan.code}/decisions/",
        {
            "kind": "override",
            "override-kind": "override",
            "override-rung": "fortnightly",
            "override-reason": "Busy season at work",
        },
    )

    assert response.status_code == 302
    decision = PlanDecision.objects.get(plan=plan)
    entry = trail.one(event=Event.CREATE, content_type__model="plandecision")
    assert _is_about(entry, decision)
    assert (entry.actor, entry.patient_id, entry.remote_addr) == (
        acupuncturist,
        world["patient"].pk,
        ADDRESS,
    )
    assert entry.changes["kind"][1] == "override"
    assert entry.changes["reason"][1] == "Busy season at work"


def test_booking_a_visit_and_changing_its_status_are_recorded(
    client, front_desk, acupuncturist, patient
):
    _login(client, front_desk)
    day = open_day(3)
    trail = Trail()

    response = _post(
        client,
        f"/patients/{patient.code}/appointments/new/",
        {
            "date": day.isoformat(),
            "time": "10:30",
            "practitioner": str(acupuncturist.pk),
            "length_minutes": "45",
        },
    )

    assert response.status_code == 302
    appointment = Appointment.objects.get(patient=patient)
    booked = trail.one(event=Event.CREATE)
    assert _is_about(booked, appointment)
    assert (booked.actor, booked.patient_id, booked.remote_addr) == (
        front_desk,
        patient.pk,
        ADDRESS,
    )
    assert "starts_at" in booked.changes

    changing = Trail()
    response = _post(client, f"/appointments/{appointment.code}/status/", {"status": "cancelled"})

    assert response.status_code == 302
    changed = changing.one(event=Event.UPDATE)
    assert _is_about(changed, appointment)
    assert changed.changes["status"] == ["booked", "cancelled"]
    assert (changed.actor, changed.patient_id) == (front_desk, patient.pk)


def test_a_password_change_is_recorded_without_the_password(client, front_desk):
    _login(client, front_desk)
    trail = Trail()
    new_password = "mulberry-lantern-47-quietly"

    response = _post(
        client,
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )

    assert response.status_code == 302
    entry = trail.one(event=Event.UPDATE)
    assert _is_about(entry, front_desk)
    assert (entry.actor, entry.remote_addr) == (front_desk, ADDRESS)
    assert "password" in entry.changes, "that the password changed is recorded"
    stored = _everything_in(entry)
    assert new_password not in stored
    assert TEST_PASSWORD not in stored


def test_no_part_of_the_password_hash_is_kept_in_the_trail(client, front_desk):
    old_hash = User.objects.get(pk=front_desk.pk).password
    _login(client, front_desk)
    trail = Trail()
    new_password = "mulberry-lantern-47-quietly"

    _post(
        client,
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )

    new_hash = User.objects.get(pk=front_desk.pk).password
    stored = _everything_in(trail.one(event=Event.UPDATE))
    for hashed in (old_hash, new_hash):
        digest = hashed.rsplit("$", 1)[-1]
        assert digest[-12:] not in stored, "the end of the hash's digest is in the trail"


def test_a_role_change_in_the_admin_is_recorded_with_the_groups_added_and_removed(
    client, clinic_admin, front_desk
):
    _login(client, clinic_admin)
    url = f"/admin/acuclinic/user/{front_desk.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    data = form_values(page.content.decode())
    acupuncturist_group = Group.objects.get(name=roles.ACUPUNCTURIST)
    data["groups"] = [str(acupuncturist_group.pk)]
    trail = Trail()

    response = _post(client, url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(front_desk.groups.values_list("name", flat=True)) == [roles.ACUPUNCTURIST]
    changes = [e for e in trail.new(event=Event.UPDATE) if _is_about(e, front_desk)]
    recorded = {
        (e.changes["groups"]["operation"], tuple(e.changes["groups"]["objects"]))
        for e in changes
        if "groups" in (e.changes or {})
    }
    assert recorded == {("delete", (roles.FRONT_DESK,)), ("add", (roles.ACUPUNCTURIST,))}
    for entry in changes:
        assert (entry.actor, entry.remote_addr) == (clinic_admin, ADDRESS)


def test_staff_accounts_are_never_deleted_so_their_entries_keep_who_made_them(client, front_desk):
    someone_elses = PatientFactory()
    _login(client, front_desk)
    _get(client, f"/patients/{someone_elses.code}/")
    _post(
        client,
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "mulberry-lantern-47-quietly",
            "new_password2": "mulberry-lantern-47-quietly",
        },
    )
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(root)

    response = admin.post(f"/admin/acuclinic/user/{front_desk.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert User.objects.filter(username="desk").exists()
    by_desk = AuditEntry.objects.filter(actor=front_desk)
    assert {Event.READ, Event.UPDATE} <= set(by_desk.values_list("event", flat=True))


# --- Logins, logouts and refusals --------------------------------------------------


def test_a_login_is_recorded_with_the_user_the_path_and_the_address(client, front_desk):
    trail = Trail()

    response = _post(client, LOGIN, {"username": "desk", "password": TEST_PASSWORD})

    assert response.status_code == 302
    entry = trail.one()
    assert entry.event == Event.LOGIN
    assert (entry.actor, entry.username) == (front_desk, "desk")
    assert (entry.path, entry.remote_addr) == (LOGIN, ADDRESS)
    assert TEST_PASSWORD not in _everything_in(entry)


def test_a_logout_is_recorded(client, front_desk):
    _post(client, LOGIN, {"username": "desk", "password": TEST_PASSWORD})
    trail = Trail()

    response = _post(client, LOGOUT)

    assert response.status_code == 302
    entry = trail.one()
    assert entry.event == Event.LOGOUT
    assert (entry.actor, entry.path, entry.remote_addr) == (front_desk, LOGOUT, ADDRESS)


@pytest.mark.parametrize("typed", ["desk", "DESK", "nobody-by-that-name"])
def test_a_failed_login_keeps_the_username_as_typed_and_never_the_password(
    client, front_desk, typed
):
    trail = Trail()
    wrong = "Tr0ub4dor&3-not-it"

    response = _post(client, LOGIN, {"username": typed, "password": wrong})

    assert response.status_code == 200
    assert b"invalid-feedback" in response.content
    entry = trail.one()
    assert entry.event == Event.LOGIN_FAILED
    assert entry.actor is None
    assert entry.username == typed
    assert (entry.path, entry.remote_addr) == (LOGIN, ADDRESS)
    assert wrong not in _everything_in(entry)


def test_wrong_passwords_lock_the_account_and_the_lockout_is_recorded(client, front_desk, settings):
    settings.AXES_FAILURE_LIMIT = 5  # the default
    trail = Trail()

    responses = [
        _post(client, LOGIN, {"username": "desk", "password": f"wrong-{n}"}) for n in range(6)
    ]

    # AXES_FAILURE_LIMIT is 5: the fifth wrong password is answered with the lockout.
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429, 429]
    assert b"data-locked-out" in responses[5].content
    locked = trail.new(event=Event.LOCKED_OUT)
    assert locked, "a lockout entry"
    assert {(e.username, e.remote_addr, e.path) for e in locked} == {("desk", ADDRESS, LOGIN)}
    assert len(trail.new(event=Event.LOGIN_FAILED)) >= 5
    # The right password is refused while locked, and that is not a login.
    response = _post(client, LOGIN, {"username": "desk", "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert not trail.new(event=Event.LOGIN)
    for entry in trail.new():
        assert "wrong-" not in _everything_in(entry)


def test_a_wrong_two_factor_code_is_recorded(client, clinic_admin):
    device = TOTPDevice.objects.create(user=clinic_admin, name="Phone", confirmed=True)
    response = _post(client, LOGIN, {"username": "boss", "password": TEST_PASSWORD})
    assert response.status_code == 302
    right = TOTP(device.bin_key).token()
    wrong = f"{(right + 1) % 1_000_000:06d}"
    trail = Trail()

    response = _post(client, VERIFY, {"otp_token": wrong})

    assert response.status_code == 200
    assert b"invalid-feedback" in response.content
    entry = trail.one()
    assert entry.event == Event.OTP_FAILED
    assert (entry.actor, entry.path, entry.remote_addr) == (clinic_admin, VERIFY, ADDRESS)
    assert wrong not in _everything_in(entry)


def test_a_refused_change_is_recorded_as_denied_and_changes_nothing(client, acupuncturist, patient):
    _login(client, acupuncturist)
    trail = Trail()

    response = client.post(
        f"/patients/{patient.code}/archive/?next=/x",
        {"reason": "Not mine to do"},
        REMOTE_ADDR=ADDRESS,
    )

    assert response.status_code == 403
    entry = trail.one()
    assert entry.event == Event.DENIED
    assert (entry.actor, entry.remote_addr) == (acupuncturist, ADDRESS)
    assert entry.path == f"/patients/{patient.code}/archive/"
    assert not Patient.objects.get(pk=patient.pk).is_archived


def test_a_request_refused_for_a_missing_csrf_token_is_recorded(front_desk, patient):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(front_desk)
    trail = Trail()

    response = _post(browser, f"/patients/{patient.code}/archive/", {"reason": "x"})

    assert response.status_code == 403
    entry = trail.one()
    assert (entry.event, entry.actor, entry.path) == (
        Event.DENIED,
        front_desk,
        f"/patients/{patient.code}/archive/",
    )
    assert not Patient.objects.get(pk=patient.pk).is_archived


# --- Entries cannot be changed or deleted ------------------------------------------


def test_an_entry_once_written_cannot_be_saved_again(client, front_desk, patient):
    _login(client, front_desk)
    trail = Trail()
    _get(client, f"/patients/{patient.code}/")
    entry = trail.one()

    entry.event = Event.LOGIN
    with pytest.raises(ValueError, match="never changed"):
        entry.save()

    assert AuditEntry.objects.get(pk=entry.pk).event == Event.READ


def test_an_entry_cannot_be_deleted(client, front_desk, patient):
    _login(client, front_desk)
    trail = Trail()
    _get(client, f"/patients/{patient.code}/")
    entry = trail.one()

    with pytest.raises(ValueError, match="never deleted"):
        entry.delete()

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_no_management_command_of_the_app_empties_the_trail(client, front_desk, patient):
    _login(client, front_desk)
    _get(client, f"/patients/{patient.code}/")
    count = AuditEntry.objects.count()

    try:
        call_command("auditlogflush", "--yes", verbosity=0)
    except Exception:  # noqa: BLE001, S110 - refusing in any way is what is wanted
        pass

    assert AuditEntry.objects.count() == count


# --- No patient data or secrets in application logs --------------------------------

_PLAIN_RECORD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _logged(record: logging.LogRecord, *, with_traceback: bool) -> str:
    """All a log handler could print of the record: the message, its arguments and
    the extras Django attaches (the request, the status), and the traceback."""
    extras = {k: v for k, v in vars(record).items() if k not in _PLAIN_RECORD}
    text = f"{record.name} {record.getMessage()} {record.args!r} {extras!r}"
    if with_traceback:
        text += " " + logging.Formatter().format(record)
    return text


def _patient_data_flows(users, settings) -> set[str]:
    """Run the flows that log (a failed login, a refused chart, 404s, an intake link
    made, emailed, opened, revoked and used again); return what must not be logged."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    private = PatientFactory(
        first_name="Philomena",
        last_name="Quackenbush",
        date_of_birth=datetime.date(1963, 7, 14),
        phone="+14155550777",
        email="philomena.q@example.com",
        created_by=users["front_desk"],
    )
    secrets = {
        "Philomena",
        "Quackenbush",
        "1963-07-14",
        "14/07/1963",
        "07/14/1963",
        "+14155550777",
        "555-0777",
        "5550777",
        "philomena.q@example.com",
    }
    desk = Client()
    desk.force_login(users["front_desk"])
    nobody = Client()
    nobody.force_login(users["no_role"])

    # A failed login, the patient's name typed by mistake into both fields.
    response = Client().post(LOGIN, {"username": "Philomena", "password": "Quackenbush"})
    assert response.status_code == 200
    assert nobody.get(f"/patients/{private.code}/").status_code == 403
    assert desk.get("/patients/00000000-0000-4000-8000-000000000000/").status_code == 404
    assert desk.get("/patients/", {"q": "Quackenbush 1963-07-14"}).status_code == 200
    response = desk.post(f"/patients/{private.code}/intake-invitations/", {"send_email": "on"})
    token = _link_on_page(response)
    secrets.add(token)
    patient_browser = Client()
    assert patient_browser.get(f"/intake/{token}/").status_code == 302
    assert patient_browser.post(f"/intake/{token}/step/1/", INTAKE_STEPS[1]).status_code == 302
    assert desk.post(f"/patients/{private.code}/intake-invitations/revoke/").status_code == 302
    assert patient_browser.get(f"/intake/{token}/").status_code == 410
    assert patient_browser.get(f"/intake/{token}x/").status_code == 404
    return secrets


def _debug_everywhere(caplog):
    # As with DJANGO_LOG_LEVEL=DEBUG: every logger the settings leave to that level.
    # (django.template and django.db.backends are pinned at INFO by the settings,
    # because at DEBUG they log template contexts and SQL parameters.)
    for name in ("", "django", "django.request", "axes", "audit", "intake"):
        caplog.set_level(logging.DEBUG, logger=name)


def test_log_messages_carry_no_patient_data_or_link_token_even_at_debug(caplog, users, settings):
    _debug_everywhere(caplog)

    secrets = _patient_data_flows(users, settings)

    logged = [r.getMessage() for r in caplog.records]
    assert any(message.startswith("Gone: /intake/") for message in logged), logged
    assert any(message.startswith("Forbidden") for message in logged), logged
    for record in caplog.records:
        text = _logged(record, with_traceback=False)
        for secret in secrets:
            assert secret not in text, (secret, record.name, record.getMessage())


def test_logs_at_the_default_level_carry_no_patient_data_even_in_tracebacks(
    caplog, users, settings
):
    caplog.set_level(logging.INFO)  # DJANGO_LOG_LEVEL's default

    secrets = _patient_data_flows(users, settings)

    assert caplog.records
    for record in caplog.records:
        text = _logged(record, with_traceback=True)
        for secret in secrets:
            assert secret not in text, (secret, record.name, record.getMessage())


def test_debug_logs_carry_no_patient_data_in_tracebacks_either(caplog, users, settings):
    _debug_everywhere(caplog)

    secrets = _patient_data_flows(users, settings)

    leaked = {
        (record.name, secret)
        for record in caplog.records
        for secret in secrets
        if secret in _logged(record, with_traceback=True)
    }
    assert not leaked
