"""The staff side of the online intake: links, the chart's intake card, the queue,
review, and confirming self-registrations."""

import datetime
import hashlib
import html
import re
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.forms import PatientForm
from intake.models import Intake, IntakeInvitation, IntakeMedication, IntakePainRegion, Patient
from tests.factories import IntakeFactory, PatientFactory, make_invitation
from tests.urls import chart_url

pytestmark = pytest.mark.django_db

QUEUE_URL = "/intakes/"
LOGIN_URL = "/accounts/login/"
SAM_BORN = datetime.date(1980, 4, 25)


def _invite_url(patient):
    return f"/patients/{patient.code}/intake-invitations/"


def _revoke_url(patient):
    return f"/patients/{patient.code}/intake-invitations/revoke/"


def _review_url(intake):
    return f"/intakes/{intake.code}/review/"


def _register_url(intake):
    return f"/intakes/{intake.code}/register/"


def _discard_url(intake):
    return f"/intakes/{intake.code}/discard/"


def _intake_status(response) -> str:
    found = re.findall(r'data-intake-status="([^"]*)"', response.content.decode())
    assert len(found) == 1, "the chart has one intake card"
    return found[0]


def _new_link(response) -> str | None:
    match = re.search(r'id="new-intake-link" value="([^"]*)"', response.content.decode())
    return html.unescape(match.group(1)) if match else None


def _safety_badges(response) -> list[str]:
    block = re.search(r"<ul[^>]*safety-flags[^>]*>(.*?)</ul>", response.content.decode(), re.S)
    if block is None:
        return []
    return [
        html.unescape(text)
        for text in re.findall(r'<span class="badge text-bg-danger">(.*?)</span>', block.group(1))
    ]


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _login(client, user):
    client.force_login(user)
    return client


def _pending(**overrides):
    """A self-started intake, submitted, that no chart holds yet."""
    fields = {
        "patient": None,
        "submitted": True,
        "first_name": "Sam",
        "last_name": "Rivera",
        "date_of_birth": SAM_BORN,
        "sex": "unknown",
        "phone": "+14155550199",
        "email": "sam.rivera@example.com",
    }
    fields.update(overrides)
    return IntakeFactory(**fields)


def _registration_form(**overrides):
    data = {
        "action": "create",
        "first_name": "Sam",
        "last_name": "Rivera",
        "preferred_name": "",
        "date_of_birth": SAM_BORN.isoformat(),
        "sex": "unknown",
        "phone": "(415) 555-0199",
        "email": "sam.rivera@example.com",
        "address": "",
        "emergency_contact_name": "",
        "emergency_contact_relationship": "",
        "emergency_contact_phone": "",
    }
    data.update(overrides)
    return data


def _duplicate_key(data) -> str:
    form = PatientForm(data)
    assert form.is_valid(), form.errors
    return form.duplicate_key()


class RefusingEmailBackend(BaseEmailBackend):
    """A mail server that is down."""

    error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, email_messages):
        raise self.error


class UnreachableEmailBackend(RefusingEmailBackend):
    error = ConnectionRefusedError(111, "Connection refused")


# --- Who may reach which intake page ------------------------------------------------

# Who may reach which page: tests/test_role_matrix.py, one table over every URL.

ALL_ROLES = ["front_desk", "acupuncturist", "clinic_admin"]


def test_a_user_without_a_role_cannot_see_the_intake_card_on_a_chart(client, no_role_user, patient):
    _login(client, no_role_user)
    assert client.get(chart_url(patient)).status_code == 403


def test_contract_urls_for_the_staff_intake_pages(patient):
    intake_code = "00000000-0000-4000-8000-000000000001"
    assert reverse("clinic:invitation_create", kwargs={"code": patient.code}) == _invite_url(
        patient
    )
    assert reverse("intake:invitation_revoke", kwargs={"code": patient.code}) == _revoke_url(
        patient
    )
    assert reverse("intake:intake_queue") == QUEUE_URL
    assert reverse("intake:intake_review", kwargs={"code": intake_code}) == (
        f"/intakes/{intake_code}/review/"
    )
    assert reverse("intake:registration", kwargs={"code": intake_code}) == (
        f"/intakes/{intake_code}/register/"
    )
    assert reverse("intake:registration_discard", kwargs={"code": intake_code}) == (
        f"/intakes/{intake_code}/discard/"
    )


# --- Intake links ---------------------------------------------------------------------


def test_front_desk_makes_a_link_and_sees_it_once_on_the_chart(desk_client, patient, front_desk):
    response = desk_client.post(_invite_url(patient))
    assert response.status_code == 200
    link = _new_link(response)
    assert link is not None
    match = re.fullmatch(r"http://testserver/intake/([A-Za-z0-9_-]+)/", link)
    assert match, link
    token = match.group(1)
    assert len(token) >= 43  # 32 random bytes, base64url

    invitation = IntakeInvitation.objects.get()
    assert invitation.patient == patient
    assert invitation.created_by == front_desk
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=14)
    assert invitation.revoked_at is None
    assert _intake_status(response) == "sent"

    # Shown once: the chart opened again does not carry it.
    assert _new_link(desk_client.get(chart_url(patient))) is None


def test_the_page_with_a_new_link_is_never_cached(desk_client, patient):
    response = desk_client.post(_invite_url(patient))
    assert "no-store" in response["Cache-Control"]


def test_clinic_admin_makes_a_link_too(client, clinic_admin, patient):
    response = _login(client, clinic_admin).post(_invite_url(patient))
    assert response.status_code == 200
    assert _new_link(response) is not None
    assert IntakeInvitation.objects.get().created_by == clinic_admin


def test_each_link_gets_a_different_token(desk_client, patient):
    first = _new_link(desk_client.post(_invite_url(patient)))
    second = _new_link(desk_client.post(_invite_url(patient)))
    assert first and second and first != second


def test_the_new_link_opens_the_patients_intake(desk_client, client, patient):
    link = _new_link(desk_client.post(_invite_url(patient)))
    desk_client.logout()
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"].endswith("/step/1/")
    assert Intake.objects.get().patient == patient


def test_making_a_new_link_stops_the_previous_one(desk_client, client, patient):
    first = _new_link(desk_client.post(_invite_url(patient)))
    second = _new_link(desk_client.post(_invite_url(patient)))
    assert IntakeInvitation.objects.filter(patient=patient).count() == 2
    assert IntakeInvitation.objects.filter(patient=patient, revoked_at__isnull=True).count() == 1
    desk_client.logout()
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 302


def test_send_email_emails_the_link_to_the_patient(desk_client, patient):
    response = desk_client.post(_invite_url(patient), {"send_email": "1"})
    assert response.status_code == 200
    link = _new_link(response)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["jane.doe@example.com"]
    assert link in email.body
    assert "Janie" in email.body
    assert IntakeInvitation.objects.get().emailed_at is not None
    assert "The link is emailed to jane.doe@example.com" in response.content.decode()


def test_no_email_is_sent_unless_asked(desk_client, patient):
    response = desk_client.post(_invite_url(patient))
    assert _new_link(response) is not None
    assert mail.outbox == []
    assert IntakeInvitation.objects.get().emailed_at is None
    assert "The link is emailed" not in response.content.decode()


def test_a_patient_without_email_gets_the_link_but_no_email(desk_client, front_desk):
    patient = PatientFactory(email="", created_by=front_desk)
    response = desk_client.post(_invite_url(patient), {"send_email": "1"})
    assert response.status_code == 200
    assert _new_link(response) is not None
    assert mail.outbox == []
    assert "The link is emailed" not in response.content.decode()


@pytest.mark.parametrize("backend", ["RefusingEmailBackend", "UnreachableEmailBackend"])
def test_a_failed_email_still_shows_the_link_with_an_error(
    desk_client, client, patient, settings, backend
):
    settings.EMAIL_BACKEND = f"{__name__}.{backend}"
    response = desk_client.post(_invite_url(patient), {"send_email": "1"})
    assert response.status_code == 200
    link = _new_link(response)
    assert link is not None
    content = response.content.decode()
    assert "the email could not be sent" in content
    assert "The link is emailed" not in content
    assert IntakeInvitation.objects.get().emailed_at is None
    desk_client.logout()
    assert client.get(link).status_code == 302  # the link works all the same


def test_an_archived_chart_gets_no_link(desk_client, patient):
    Patient.objects.filter(pk=patient.pk).update(status="archived", archived_at=timezone.now())
    response = desk_client.post(_invite_url(patient), {"send_email": "1"})
    assert response.status_code == 302
    assert response["Location"] == chart_url(patient)
    assert not IntakeInvitation.objects.exists()
    assert mail.outbox == []
    chart = desk_client.get(response["Location"])
    assert "restore it before sending an intake link" in chart.content.decode()
    assert _new_link(chart) is None


def test_acupuncturist_cannot_make_a_link(client, acupuncturist, patient):
    response = _login(client, acupuncturist).post(_invite_url(patient), {"send_email": "1"})
    assert response.status_code == 403
    assert not IntakeInvitation.objects.exists()
    assert mail.outbox == []


def test_making_a_link_refuses_get(desk_client, patient):
    assert desk_client.get(_invite_url(patient)).status_code == 405
    assert not IntakeInvitation.objects.exists()


def test_unknown_patient_gets_no_link(desk_client):
    response = desk_client.post(
        "/patients/00000000-0000-4000-8000-000000000000/intake-invitations/"
    )
    assert response.status_code == 404
    assert not IntakeInvitation.objects.exists()


def test_revoking_stops_the_link(desk_client, client, patient, front_desk):
    _, _, path = make_invitation(patient, created_by=front_desk)
    response = desk_client.post(_revoke_url(patient))
    assert response.status_code == 302
    assert response["Location"] == chart_url(patient) + "#intake"
    invitation = IntakeInvitation.objects.get()
    assert invitation.revoked_at is not None
    assert invitation.revoked_by == front_desk
    chart = desk_client.get(chart_url(patient))
    assert "The intake link no longer works." in _messages(chart)
    assert _intake_status(chart) == "not_sent"
    desk_client.logout()
    assert client.get(path).status_code == 410


def test_acupuncturist_cannot_revoke_a_link(client, acupuncturist, patient, front_desk):
    _, _, path = make_invitation(patient, created_by=front_desk)
    assert _login(client, acupuncturist).post(_revoke_url(patient)).status_code == 403
    client.logout()
    assert client.get(path).status_code == 302


def test_revoking_refuses_get(desk_client, patient, front_desk):
    _, _, path = make_invitation(patient, created_by=front_desk)
    assert desk_client.get(_revoke_url(patient)).status_code == 405
    assert IntakeInvitation.objects.get().revoked_at is None


def test_front_desk_sees_the_link_buttons_and_acupuncturist_does_not(
    desk_client, client, acupuncturist, patient, front_desk
):
    make_invitation(patient, created_by=front_desk)
    desk = desk_client.get(chart_url(patient)).content.decode()
    assert _invite_url(patient) in desk
    assert _revoke_url(patient) in desk
    needles = _login(client, acupuncturist).get(chart_url(patient)).content.decode()
    assert _invite_url(patient) not in needles
    assert _revoke_url(patient) not in needles


# --- The chart's intake status --------------------------------------------------------


def test_chart_status_is_not_sent_without_a_link(desk_client, patient):
    response = desk_client.get(chart_url(patient))
    assert _intake_status(response) == "not_sent"
    assert "No intake link has been sent." in response.content.decode()


def test_chart_status_is_sent_once_a_link_is_made(desk_client, patient, front_desk):
    make_invitation(patient, created_by=front_desk)
    response = desk_client.get(chart_url(patient))
    assert _intake_status(response) == "sent"
    assert "not opened yet" in response.content.decode()


def test_chart_status_is_in_progress_once_the_patient_opens_the_link(
    desk_client, client, patient, front_desk
):
    _, _, path = make_invitation(patient, created_by=front_desk)
    assert client.get(path).status_code == 302
    assert _intake_status(desk_client.get(chart_url(patient))) == "in_progress"


def test_chart_status_is_in_progress_for_a_draft(desk_client, patient):
    IntakeFactory(patient=patient, completed_steps=[1, 2])
    response = desk_client.get(chart_url(patient))
    assert _intake_status(response) == "in_progress"
    assert "2 of 5 steps saved" in response.content.decode()


def test_chart_status_is_submitted(desk_client, patient):
    IntakeFactory(patient=patient, submitted=True)
    response = desk_client.get(chart_url(patient))
    assert _intake_status(response) == "submitted"
    assert "waiting for a clinician" in response.content.decode()


def test_chart_status_is_reviewed(desk_client, patient, acupuncturist):
    IntakeFactory(
        patient=patient,
        submitted=True,
        status=Intake.Status.REVIEWED,
        reviewed_by=acupuncturist,
        reviewed_at=timezone.now(),
    )
    response = desk_client.get(chart_url(patient))
    assert _intake_status(response) == "reviewed"
    assert f"by {acupuncturist}" in response.content.decode()


def test_chart_status_is_sent_again_when_a_new_link_follows_a_submitted_intake(
    desk_client, patient, front_desk
):
    IntakeFactory(patient=patient, submitted=True)
    make_invitation(patient, created_by=front_desk)
    assert _intake_status(desk_client.get(chart_url(patient))) == "sent"


def test_a_self_registration_submitted_after_a_link_was_made_shows_submitted(
    desk_client, patient, front_desk
):
    # The patient started on their own, the front desk sent a link too, then the
    # self-registration was submitted and added to the chart: it awaits review.
    pending = IntakeFactory(patient=None, first_name="Jane", last_name="Doe")
    make_invitation(patient, created_by=front_desk)
    Intake.objects.filter(pk=pending.pk).update(
        patient=patient,
        status=Intake.Status.SUBMITTED,
        completed_steps=[1, 2, 3, 4, 5],
        consent_to_treatment=True,
        privacy_acknowledged=True,
        signature_name="Jane Doe",
        consented_at=timezone.now(),
        submitted_at=timezone.now() + datetime.timedelta(seconds=1),
    )
    assert _intake_status(desk_client.get(chart_url(patient))) == "submitted"


def test_a_new_link_for_a_started_draft_shows_sent_then_resumes_the_same_draft(
    desk_client, client, patient, front_desk
):
    _, _, first = make_invitation(patient, created_by=front_desk)
    client.get(first)
    second = _new_link(desk_client.post(_invite_url(patient)))
    assert _intake_status(desk_client.get(chart_url(patient))) == "sent"
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 302
    assert Intake.objects.filter(patient=patient).count() == 1
    assert _intake_status(desk_client.get(chart_url(patient))) == "in_progress"


def test_chart_status_is_not_sent_when_the_only_link_expired(desk_client, patient, front_desk):
    invitation, _, _ = make_invitation(patient, created_by=front_desk)
    IntakeInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    response = desk_client.get(chart_url(patient))
    assert _intake_status(response) == "not_sent"
    assert "The last link expired" in response.content.decode()


def test_chart_status_stays_submitted_after_an_old_link_expires(desk_client, client, patient):
    _, _, path = make_invitation(patient, created_by=patient.created_by)
    client.get(path)  # the draft
    Intake.objects.update(
        status=Intake.Status.SUBMITTED,
        completed_steps=[1, 2, 3, 4, 5],
        consent_to_treatment=True,
        privacy_acknowledged=True,
        signature_name="Jane Doe",
        consented_at=timezone.now(),
        submitted_at=timezone.now(),
    )
    assert _intake_status(desk_client.get(chart_url(patient))) == "submitted"


# --- What the chart shows of the answers, by role -------------------------------------


@pytest.fixture
def answered(patient):
    """Jane's submitted intake, with regions, medicines and two safety answers."""
    intake = IntakeFactory(
        patient=patient,
        submitted=True,
        pain_types=["neck_pain", "migraine"],
        headache_days=16,
        pain_now=7,
        pain_worst=9,
        months_with_pain=14,
        triggers=["poor_sleep", "screen_time"],
        psfs_activity_1="Turning my head to drive",
        psfs_score_1=4,
        psfs_activity_2="Reading for an hour",
        psfs_score_2=6,
        pregnant="yes",
        pregnancy_weeks=20,
        metal_implant="not_sure",
        goals="Sleep through the night",
    )
    IntakePainRegion.objects.create(intake=intake, region="neck", score=6)
    IntakePainRegion.objects.create(intake=intake, region="shoulders", score=None)
    IntakeMedication.objects.create(
        intake=intake, name="Ibuprofen", dose="400 mg", frequency="twice a day", for_pain=True
    )
    IntakeMedication.objects.create(intake=intake, name="Sertraline", dose="50 mg")
    return intake


CLINICAL_TEXTS = [
    "Neck pain, Migraine",
    "Neck 6/10",
    "Shoulders / shoulder blades",
    "7/10",
    "9/10",
    "14 months",
    "16/30",
    "Poor sleep, Screen time",
    "Ibuprofen 400 mg, twice a day",
    "Sertraline 50 mg",
    "Turning my head to drive: 4",
    "Reading for an hour: 6",
    "5.0/10",
    "Sleep through the night",
]


def test_front_desk_cannot_see_intake_answers(desk_client, patient, answered):
    response = desk_client.get(chart_url(patient))
    content = response.content.decode()
    assert _intake_status(response) == "submitted"
    for text in [
        *CLINICAL_TEXTS,
        "Ibuprofen",
        "Sertraline",
        "Neck pain",
        "Turning my head",
        "Full answers",
        "Are you pregnant",
        "Pregnant",
        "Metal implant",
        "safety-flags",
    ]:
        assert text not in content, text
    assert response.context["intake"]["answers"] is None


@pytest.mark.parametrize("role", ["acupuncturist", "clinic_admin"])
def test_clinicians_see_the_intake_summary_and_full_answers(client, users, patient, answered, role):
    response = _login(client, users[role]).get(chart_url(patient))
    content = html.unescape(response.content.decode())
    assert _intake_status(response) == "submitted"
    for text in CLINICAL_TEXTS:
        assert text in content, text
    assert "Full answers" in content
    assert "Are you pregnant, or could you be?" in content
    assert "Yes (20 weeks)" in content
    assert "signed “Jane Doe”" in content


@pytest.mark.parametrize("role", ["acupuncturist", "clinic_admin"])
def test_clinicians_see_safety_badges_in_the_chart_header(client, users, patient, answered, role):
    response = _login(client, users[role]).get(chart_url(patient))
    assert _safety_badges(response) == ["Pregnant (20 weeks)", "Metal implant?"]


@pytest.mark.parametrize(
    ("answers", "badges"),
    [
        ({}, []),
        ({"pregnant": "yes", "pregnancy_weeks": 12}, ["Pregnant (12 weeks)"]),
        ({"pregnant": "yes"}, ["Pregnant"]),
        ({"pregnant": "not_sure"}, ["Pregnant?"]),
        ({"pacemaker": "yes"}, ["Pacemaker / implanted device"]),
        ({"pacemaker": "not_sure"}, ["Pacemaker / implanted device?"]),
        ({"bleeding_disorder": "yes"}, ["Bleeding risk"]),
        ({"anticoagulants": "yes"}, ["Bleeding risk"]),
        ({"bleeding_disorder": "yes", "anticoagulants": "yes"}, ["Bleeding risk"]),
        ({"bleeding_disorder": "not_sure", "anticoagulants": "yes"}, ["Bleeding risk"]),
        ({"anticoagulants": "not_sure"}, ["Bleeding risk?"]),
        ({"epilepsy": "yes"}, ["Epilepsy"]),
        ({"epilepsy": "not_sure"}, ["Epilepsy?"]),
        ({"metal_implant": "yes"}, ["Metal implant"]),
        ({"diabetes": "yes"}, ["Diabetes"]),
        ({"diabetes": "not_sure"}, ["Diabetes?"]),
        ({"fainting": "yes"}, ["Fainting / fear of needles"]),
        ({"fainting": "not_sure"}, ["Fainting / fear of needles?"]),
        ({"skin_problem": "yes"}, ["Broken or infected skin"]),
        ({"skin_problem": "not_sure"}, ["Broken or infected skin?"]),
        (
            {
                "diabetes": "yes",
                "fainting": "not_sure",
                "skin_problem": "yes",
                "metal_implant": "yes",
            },
            ["Diabetes", "Fainting / fear of needles?", "Broken or infected skin", "Metal implant"],
        ),
        (
            {"pacemaker": "yes", "epilepsy": "yes", "pregnant": "not_sure"},
            ["Pregnant?", "Pacemaker / implanted device", "Epilepsy"],
        ),
    ],
)
def test_safety_badges_follow_the_screening_answers(
    client, acupuncturist, patient, answers, badges
):
    IntakeFactory(patient=patient, submitted=True, **answers)
    response = _login(client, acupuncturist).get(chart_url(patient))
    assert _safety_badges(response) == badges


def test_front_desk_never_sees_safety_badges(desk_client, patient):
    IntakeFactory(patient=patient, submitted=True, pregnant="yes", pacemaker="yes", epilepsy="yes")
    response = desk_client.get(chart_url(patient))
    assert _safety_badges(response) == []
    assert "Pacemaker" not in response.content.decode()


def test_clinicians_keep_reading_the_submitted_answers_while_a_new_intake_is_in_progress(
    client, acupuncturist, patient, answered
):
    IntakeFactory(patient=patient, completed_steps=[1])
    response = _login(client, acupuncturist).get(chart_url(patient))
    assert _intake_status(response) == "in_progress"
    assert "Turning my head to drive: 4" in response.content.decode()
    assert _safety_badges(response) == ["Pregnant (20 weeks)", "Metal implant?"]


def test_a_draft_shows_no_answers_to_clinicians(client, acupuncturist, patient):
    IntakeFactory(patient=patient, pain_types=["neck_pain"], psfs_activity_1="Gardening")
    content = _login(client, acupuncturist).get(chart_url(patient)).content.decode()
    assert "Gardening" not in content
    assert "Full answers" not in content


@pytest.mark.parametrize(("role", "shown"), [("acupuncturist", True), ("clinic_admin", False)])
def test_only_acupuncturists_get_the_review_button(client, users, patient, answered, role, shown):
    content = _login(client, users[role]).get(chart_url(patient)).content.decode()
    assert ("Mark intake reviewed" in content) is shown
    assert (_review_url(answered) in content) is shown


def test_front_desk_gets_no_review_button(desk_client, patient, answered):
    assert "Mark intake reviewed" not in desk_client.get(chart_url(patient)).content.decode()


def _chart_queries(client, patient):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(chart_url(patient))
    assert response.status_code == 200
    return len(queries)


def test_clinician_chart_query_count_does_not_grow_with_answers(client, acupuncturist, patient):
    intake = IntakeFactory(patient=patient, submitted=True)
    IntakeMedication.objects.create(intake=intake, name="Med 0")
    IntakePainRegion.objects.create(intake=intake, region="neck", score=1)
    _login(client, acupuncturist)
    small = _chart_queries(client, patient)
    for n in range(1, 8):
        IntakeMedication.objects.create(intake=intake, name=f"Med {n}")
    for region in ["head", "shoulders", "upper_back", "lower_back", "hips"]:
        IntakePainRegion.objects.create(intake=intake, region=region, score=2)
    large = _chart_queries(client, patient)
    assert small == large
    # session, user, the user's permissions (2), the patient with its staff names,
    # the latest intake, the open link, the answers, their regions, their medicines,
    # the count of treatment sessions (none yet), the active plan, the next
    # appointment and the recent appointments, the open check-in and the last
    # answered one, the signed sessions' pain for the sparkline, and the audit entry
    # for the read
    assert large == 18


# --- The intake queue -----------------------------------------------------------------


def _ago(hours):
    return timezone.now() - datetime.timedelta(hours=hours)


def _queue_codes(response):
    return (
        [i.code for i in response.context["to_review"].object_list],
        [i.code for i in response.context["registrations"].object_list],
    )


def test_queue_lists_submitted_intakes_and_pending_registrations_newest_first(
    desk_client, acupuncturist, front_desk
):
    older = IntakeFactory(submitted=True, submitted_at=_ago(5))
    newer = IntakeFactory(submitted=True, submitted_at=_ago(1))
    IntakeFactory()  # a chart's draft
    IntakeFactory(submitted=True, status="reviewed", reviewed_by=acupuncturist, reviewed_at=_ago(0))
    pending_old = _pending(first_name="Ola", submitted_at=_ago(4))
    pending_new = _pending(first_name="Nia", submitted_at=_ago(2))
    IntakeFactory(patient=None, first_name="Drafty")  # a self-start still being filled in
    IntakeFactory(
        patient=None,
        submitted=True,
        first_name="Spammy",
        status="discarded",
        discarded_by=front_desk,
        discarded_at=_ago(0),
    )

    response = desk_client.get(QUEUE_URL)
    assert response.status_code == 200
    to_review, registrations = _queue_codes(response)
    assert to_review == [newer.code, older.code]
    assert registrations == [pending_new.code, pending_old.code]
    content = response.content.decode()
    assert newer.patient.last_name in content
    assert "Nia Rivera" in content
    assert "Drafty" not in content
    assert "Spammy" not in content


def test_queue_is_empty_with_no_intakes(desk_client):
    content = desk_client.get(QUEUE_URL).content.decode()
    assert "No intakes are waiting for review." in content
    assert "No new patients to confirm." in content


def test_queue_links_each_intake_to_its_chart(desk_client):
    intake = IntakeFactory(submitted=True)
    pending = _pending()
    content = desk_client.get(QUEUE_URL).content.decode()
    assert f"{chart_url(intake.patient)}#intake" in content
    assert _register_url(pending) in content


def test_acupuncturist_sees_registrations_but_no_confirm_link(client, acupuncturist):
    pending = _pending()
    content = _login(client, acupuncturist).get(QUEUE_URL).content.decode()
    assert "Sam Rivera" in content
    assert _register_url(pending) not in content


def _rows_with(content, text):
    return [row for row in re.findall(r"<tr>(.*?)</tr>", content, re.S) if text in row]


def test_queue_flags_a_registration_that_matches_a_chart(desk_client, front_desk):
    PatientFactory(first_name="SAM", last_name="rivera", date_of_birth=SAM_BORN)
    _pending()
    _pending(first_name="Alex", email="alex.rivera@example.com", submitted_at=_ago(3))
    content = desk_client.get(QUEUE_URL).content.decode()
    assert content.count("possible existing patient") == 1
    [sam] = _rows_with(content, "Sam Rivera")
    [alex] = _rows_with(content, "Alex Rivera")
    assert "possible existing patient" in sam
    assert "possible existing patient" not in alex


def test_queue_paginates_each_list_on_its_own(desk_client, settings):
    settings.INTAKES_PER_PAGE = 2
    review = [IntakeFactory(submitted=True, submitted_at=_ago(n)) for n in range(3)]
    pending = [_pending(submitted_at=_ago(n)) for n in range(5)]

    first = desk_client.get(QUEUE_URL)
    assert _queue_codes(first) == (
        [review[0].code, review[1].code],
        [pending[0].code, pending[1].code],
    )
    assert first.context["to_review"].paginator.count == 3
    assert first.context["registrations"].paginator.count == 5

    assert _queue_codes(desk_client.get(QUEUE_URL, {"page": 2}))[0] == [review[2].code]
    assert _queue_codes(desk_client.get(QUEUE_URL, {"rpage": 3}))[1] == [pending[4].code]
    for odd in ["999", "abc", "-1"]:
        assert desk_client.get(QUEUE_URL, {"page": odd, "rpage": odd}).status_code == 200


def _queue_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE_URL)
    assert response.status_code == 200
    return len(queries), tuple(len(codes) for codes in _queue_codes(response))


@pytest.mark.parametrize("role", ALL_ROLES)
def test_queue_query_count_does_not_grow_with_intakes(client, users, role):
    _login(client, users[role])
    for n in range(2):
        IntakeFactory(submitted=True, submitted_at=_ago(n))
        _pending(first_name=f"Pat{n}", submitted_at=_ago(n))
    small, shown_small = _queue_queries(client)
    for n in range(2, 12):
        IntakeFactory(submitted=True, submitted_at=_ago(n))
        _pending(first_name=f"Pat{n}", submitted_at=_ago(n))
    large, shown_large = _queue_queries(client)
    assert (shown_small, shown_large) == ((2, 2), (12, 12))
    assert small == large
    # session, user, the user's permissions (2), count and page of intakes to review
    # (with their patients), count and page of registrations, the charts matching them;
    # for a clinic admin also the two-factor device that verified the session
    assert large == (10 if role == "clinic_admin" else 9)


# --- Review ---------------------------------------------------------------------------


def test_acupuncturist_marks_an_intake_reviewed(client, acupuncturist, patient, answered):
    _login(client, acupuncturist)
    before = timezone.now()
    response = client.post(_review_url(answered))
    assert response.status_code == 302
    assert response["Location"] == chart_url(patient) + "#intake"
    answered.refresh_from_db()
    assert answered.status == Intake.Status.REVIEWED
    assert answered.reviewed_by == acupuncturist
    assert answered.reviewed_at >= before

    chart = client.get(response["Location"])
    assert _intake_status(chart) == "reviewed"
    assert "Intake marked reviewed." in _messages(chart)
    assert "Mark intake reviewed" not in chart.content.decode()
    assert _queue_codes(client.get(QUEUE_URL))[0] == []


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin", "no_role"])
def test_only_acupuncturists_can_mark_an_intake_reviewed(client, users, patient, answered, role):
    assert _login(client, users[role]).post(_review_url(answered)).status_code == 403
    answered.refresh_from_db()
    assert answered.status == Intake.Status.SUBMITTED
    assert answered.reviewed_by is None


def test_a_draft_cannot_be_reviewed(client, acupuncturist, patient):
    draft = IntakeFactory(patient=patient, completed_steps=[1, 2])
    response = _login(client, acupuncturist).post(_review_url(draft), follow=True)
    assert response.redirect_chain[-1][0] == QUEUE_URL
    assert "Only a submitted intake of a registered patient can be reviewed." in _messages(response)
    draft.refresh_from_db()
    assert draft.status == Intake.Status.DRAFT
    assert draft.reviewed_by is None


def test_a_pending_registration_cannot_be_reviewed(client, acupuncturist):
    pending = _pending()
    response = _login(client, acupuncturist).post(_review_url(pending), follow=True)
    assert "Only a submitted intake of a registered patient can be reviewed." in _messages(response)
    pending.refresh_from_db()
    assert pending.status == Intake.Status.SUBMITTED
    assert pending.reviewed_by is None


def test_reviewing_twice_keeps_the_first_reviewer_and_time(client, acupuncturist, answered):
    from tests.factories import PractitionerProfileFactory

    _login(client, acupuncturist).post(_review_url(answered))
    answered.refresh_from_db()
    first_time = answered.reviewed_at

    other = PractitionerProfileFactory(user__username="pins").user
    response = _login(client, other).post(_review_url(answered))
    assert response.status_code == 302
    answered.refresh_from_db()
    assert answered.status == Intake.Status.REVIEWED
    assert answered.reviewed_by == acupuncturist
    assert answered.reviewed_at == first_time


def test_review_refuses_get(client, acupuncturist, answered):
    assert _login(client, acupuncturist).get(_review_url(answered)).status_code == 405
    answered.refresh_from_db()
    assert answered.status == Intake.Status.SUBMITTED


def test_reviewing_an_unknown_intake_is_not_found(client, acupuncturist):
    response = _login(client, acupuncturist).post(
        "/intakes/00000000-0000-4000-8000-000000000000/review/"
    )
    assert response.status_code == 404


# --- Confirming a self-registration ---------------------------------------------------


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_front_desk_and_admin_open_a_pending_registration(client, users, role):
    pending = _pending()
    response = _login(client, users[role]).get(_register_url(pending))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Sam Rivera filled in the new-patient form" in content
    assert 'value="Sam"' in content
    assert 'value="Rivera"' in content
    assert 'value="1980-04-25"' in content
    assert "No chart has the same date of birth and a similar name, phone or email." in content


def test_acupuncturist_cannot_confirm_a_registration(client, acupuncturist):
    pending = _pending()
    _login(client, acupuncturist)
    assert client.get(_register_url(pending)).status_code == 403
    assert client.post(_register_url(pending), _registration_form()).status_code == 403
    assert not Patient.objects.exists()


def test_registration_suggests_charts_the_duplicate_guard_would_name(desk_client, front_desk):
    same = PatientFactory(first_name="SAM", last_name="rivera", date_of_birth=SAM_BORN)
    typo = PatientFactory(first_name="Sam", last_name="Rivers", date_of_birth=SAM_BORN)
    PatientFactory(first_name="Sam", last_name="Rivera", date_of_birth=datetime.date(1981, 4, 25))
    PatientFactory(first_name="Ana", last_name="Moreno", date_of_birth=SAM_BORN)
    response = desk_client.get(_register_url(_pending()))
    assert [p.pk for p in response.context["matches"]] == [same.pk, typo.pk]
    content = response.content.decode()
    assert (
        "2 charts with the same date of birth and a similar name, the same phone or the same "
        "email" in content
    )
    assert chart_url(same) in content
    assert "Matched on: same name, same email." in content
    assert "Matched on: name one typo apart." in content


def test_registration_suggests_a_chart_born_the_same_day_with_the_same_phone(
    desk_client, front_desk
):
    shared = PatientFactory(
        first_name="Alex", last_name="Moreno", date_of_birth=SAM_BORN, phone="+14155550199"
    )
    response = desk_client.get(_register_url(_pending()))
    assert [p.pk for p in response.context["matches"]] == [shared.pk]
    assert "Matched on: same phone." in response.content.decode()


def test_registration_search_finds_other_charts_to_attach_to(desk_client, front_desk):
    other = PatientFactory(first_name="Samantha", last_name="Rivera-Lopez")
    response = desk_client.get(_register_url(_pending()), {"q": "Rivera-Lopez"})
    assert [p.pk for p in response.context["found"]] == [other.pk]
    assert chart_url(other) in response.content.decode()


def test_registering_creates_one_patient_and_links_the_intake(desk_client, front_desk):
    pending = _pending()
    assert not Patient.objects.exists()
    response = desk_client.post(_register_url(pending), _registration_form())
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == chart_url(patient)
    assert patient.full_name == "Sam Rivera"
    assert patient.date_of_birth == SAM_BORN
    assert patient.phone == "+14155550199"
    assert patient.created_by == front_desk
    pending.refresh_from_db()
    assert pending.patient == patient
    assert pending.registered_by == front_desk
    assert pending.registered_at is not None
    assert pending.status == Intake.Status.SUBMITTED

    chart = desk_client.get(chart_url(patient))
    assert _intake_status(chart) == "submitted"
    assert "Sam Rivera is registered, with their intake." in _messages(chart)
    queue = desk_client.get(QUEUE_URL)
    assert _queue_codes(queue) == ([pending.code], [])


def test_registering_uses_the_details_staff_corrected(desk_client):
    pending = _pending(first_name="sam", phone="+14155550100")
    desk_client.post(_register_url(pending), _registration_form(phone="415 555 0177"))
    patient = Patient.objects.get()
    assert patient.first_name == "Sam"
    assert patient.phone == "+14155550177"


def test_an_invalid_registration_form_creates_nobody(desk_client):
    pending = _pending()
    response = desk_client.post(_register_url(pending), _registration_form(last_name=""))
    assert response.status_code == 200
    assert response.context["form"].errors["last_name"]
    assert not Patient.objects.exists()
    pending.refresh_from_db()
    assert pending.patient is None


def test_a_matching_chart_holds_the_registration_until_confirmed(desk_client, front_desk):
    existing = PatientFactory(first_name="Sam", last_name="Rivera", date_of_birth=SAM_BORN)
    pending = _pending()
    data = _registration_form(first_name="SAM ")
    response = desk_client.post(_register_url(pending), data)
    assert response.status_code == 200
    assert "already registered" in response.content.decode()
    assert [p.pk for p in response.context["duplicates"]] == [existing.pk]
    assert Patient.objects.count() == 1
    pending.refresh_from_db()
    assert pending.patient is None

    key = response.context["form"].duplicate_key()
    assert f'name="confirm_duplicate" value="{key}"' in response.content.decode()
    response = desk_client.post(_register_url(pending), {**data, "confirm_duplicate": key})
    assert response.status_code == 302
    assert Patient.objects.count() == 2
    pending.refresh_from_db()
    assert pending.patient is not None
    assert pending.patient != existing


def test_a_confirmation_for_other_details_does_not_pass_the_duplicate_guard(desk_client):
    PatientFactory(first_name="Sam", last_name="Rivera", date_of_birth=SAM_BORN)
    pending = _pending()
    stale_key = _duplicate_key(_registration_form(first_name="Samuel"))
    response = desk_client.post(
        _register_url(pending), _registration_form(confirm_duplicate=stale_key)
    )
    assert response.status_code == 200
    assert "already registered" in response.content.decode()
    assert Patient.objects.count() == 1


def test_attaching_links_the_intake_to_an_existing_chart(desk_client, front_desk):
    existing = PatientFactory(first_name="Sam", last_name="Rivera", date_of_birth=SAM_BORN)
    pending = _pending()
    response = desk_client.post(
        _register_url(pending), {"action": "attach", "patient": str(existing.code)}
    )
    assert response.status_code == 302
    assert response["Location"] == chart_url(existing) + "#intake"
    assert Patient.objects.count() == 1
    pending.refresh_from_db()
    assert pending.patient == existing
    assert pending.registered_by == front_desk
    chart = desk_client.get(chart_url(existing))
    assert _intake_status(chart) == "submitted"
    assert "The intake is now on Sam Rivera's chart." in [
        html.unescape(m) for m in _messages(chart)
    ]


def test_attaching_leaves_the_existing_chart_unchanged(desk_client):
    existing = PatientFactory(
        first_name="Sam", last_name="Rivera", date_of_birth=SAM_BORN, phone="+14155550111"
    )
    pending = _pending(phone="+14155550199", email="new@example.com")
    desk_client.post(_register_url(pending), {"action": "attach", "patient": str(existing.code)})
    existing.refresh_from_db()
    assert existing.phone == "+14155550111"
    assert existing.email != "new@example.com"


@pytest.mark.parametrize("code", ["", "not-a-code", "00000000-0000-4000-8000-000000000000"])
def test_attaching_to_no_chart_links_nothing(desk_client, code):
    pending = _pending()
    response = desk_client.post(_register_url(pending), {"action": "attach", "patient": code})
    assert response.status_code == 200
    assert "Choose the chart to add this intake to." in _messages(response)
    pending.refresh_from_db()
    assert pending.patient is None


def test_a_confirmed_registration_page_sends_staff_to_the_chart(desk_client):
    pending = _pending()
    desk_client.post(_register_url(pending), _registration_form())
    patient = Patient.objects.get()
    response = desk_client.get(_register_url(pending))
    assert response.status_code == 302
    assert response["Location"] == chart_url(patient)
    again = desk_client.post(_register_url(pending), _registration_form())
    assert again.status_code == 302
    assert Patient.objects.count() == 1
    chart = desk_client.get(again["Location"])
    assert "This self-registration has already been dealt with." in _messages(chart)


def test_discarding_a_registration_sets_it_aside(desk_client, front_desk):
    pending = _pending()
    response = desk_client.post(_discard_url(pending), {"reason": "A test by the web agency"})
    assert response.status_code == 302
    assert response["Location"] == QUEUE_URL
    pending.refresh_from_db()
    assert pending.status == Intake.Status.DISCARDED
    assert pending.discarded_by == front_desk
    assert pending.discarded_at is not None
    assert pending.discard_reason == "A test by the web agency"
    assert pending.patient is None
    assert not Patient.objects.exists()

    queue = desk_client.get(QUEUE_URL)
    assert _queue_codes(queue) == ([], [])
    assert "The self-registration is set aside." in _messages(queue)
    later = desk_client.get(_register_url(pending))
    assert later.status_code == 302
    assert later["Location"] == QUEUE_URL


def test_discarding_refuses_get(desk_client):
    pending = _pending()
    assert desk_client.get(_discard_url(pending)).status_code == 405
    pending.refresh_from_db()
    assert pending.status == Intake.Status.SUBMITTED


def test_acupuncturist_cannot_discard_a_registration(client, acupuncturist):
    pending = _pending()
    assert _login(client, acupuncturist).post(_discard_url(pending)).status_code == 403
    pending.refresh_from_db()
    assert pending.status == Intake.Status.SUBMITTED


def test_a_registered_intake_cannot_be_discarded(desk_client):
    intake = IntakeFactory(submitted=True)
    response = desk_client.post(_discard_url(intake))
    assert response.status_code == 302
    assert response["Location"] == chart_url(intake.patient)
    intake.refresh_from_db()
    assert intake.status == Intake.Status.SUBMITTED


# --- The dashboard ----------------------------------------------------------------------


def _count_by_id(content, element_id):
    match = re.search(rf'id="{element_id}">(\d+)<', content)
    return int(match.group(1)) if match else None


@pytest.mark.parametrize("role", ALL_ROLES)
def test_dashboard_counts_intakes_to_review_and_registrations_to_confirm(
    client, users, acupuncturist, front_desk, role
):
    IntakeFactory.create_batch(3, submitted=True)
    IntakeFactory()  # a draft
    IntakeFactory(submitted=True, status="reviewed", reviewed_by=acupuncturist, reviewed_at=_ago(0))
    _pending()
    _pending(first_name="Nia")
    IntakeFactory(
        patient=None,
        submitted=True,
        status="discarded",
        discarded_by=front_desk,
        discarded_at=_ago(0),
    )
    content = _login(client, users[role]).get("/").content.decode()
    assert _count_by_id(content, "intakes-to-review") == 3
    assert _count_by_id(content, "registrations-to-confirm") == 2


def test_dashboard_shows_no_intake_counts_without_a_role(client, no_role_user):
    IntakeFactory(submitted=True)
    content = _login(client, no_role_user).get("/").content.decode()
    assert 'id="intakes-to-review"' not in content
    assert 'id="registrations-to-confirm"' not in content


def test_the_registration_form_starts_with_the_typed_details_phone_as_people_write_it(
    desk_client,
):
    pending = _pending()
    page = desk_client.get(_register_url(pending)).content.decode()
    assert 'value="Sam"' in page and 'value="Rivera"' in page
    assert f'value="{SAM_BORN.isoformat()}"' in page
    assert 'value="(415) 555-0199"' in page
