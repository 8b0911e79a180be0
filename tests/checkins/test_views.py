"""The chart's check-in card: making a link (shown once), sending it, stopping it, and
the last answers, which the front desk never sees."""

import re

import pytest
from django.urls import reverse

from checkins.models import CheckIn
from checkins.services import checkin_create
from intake.services import patient_archive
from messaging.models import Message
from tests.factories import PatientFactory, make_check_in
from tests.payloads import treated_patient

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\"/]+/check-in/([A-Za-z0-9_-]{43})/")
ANSWERS = {
    "pain_now": 3,
    "pain_worst": 6,
    "psfs_score_1": 7,
    "pain_medication_doses": 4,
    "headache_days": 5,
    "pgic": 2,
}


@pytest.fixture
def patient_treated(db):
    return treated_patient()


def chart(client, patient):
    return client.get(reverse("clinic:patient_detail", kwargs={"code": patient.code}))


def create(client, patient, **data):
    return client.post(reverse("checkins:checkin_create", kwargs={"code": patient.code}), data)


@pytest.mark.parametrize("role", ["front_desk", "acupuncturist", "clinic_admin"])
def test_every_role_makes_a_link_shown_once_on_the_chart(client, users, patient_treated, role):
    client.force_login(users[role])

    made = create(client, patient_treated)
    later = chart(client, patient_treated)

    assert made.status_code == 200
    page = made.content.decode()
    token = LINK.search(page)[1]
    assert 'id="new-check-in-link"' in page
    assert "It is shown only now" in page
    assert token not in later.content.decode()
    assert LINK.search(later.content.decode()) is None
    assert 'data-check-in-status="sent"' in later.content.decode()
    check_in = patient_treated.check_ins.get()
    assert check_in.reason == CheckIn.Reason.ON_DEMAND
    assert check_in.created_by == users[role]
    assert client.get(f"/check-in/{token}/").status_code == 200


def test_a_new_link_replaces_the_open_one(desk_client, patient_treated):
    first = LINK.search(create(desk_client, patient_treated).content.decode())[1]
    second = LINK.search(create(desk_client, patient_treated).content.decode())[1]

    assert desk_client.get(f"/check-in/{first}/").status_code == 410
    assert desk_client.get(f"/check-in/{second}/").status_code == 200


def test_sending_queues_a_message_with_no_link_in_it(desk_client, patient_treated):
    patient_treated.reminder_channel = "email"
    patient_treated.email = "pat@example.com"
    patient_treated.save()

    response = create(desk_client, patient_treated, send="1")

    assert response.status_code == 302
    message = Message.objects.get()
    assert message.kind == "check_in"
    assert "[link]" in message.body
    assert "/check-in/" not in message.body
    assert patient_treated.check_ins.get().token_hash is None
    followed = desk_client.get(response["Location"]).content.decode()
    assert "on its way to the patient by email" in followed


def test_sending_to_a_patient_who_wants_no_messages_says_so(desk_client, patient_treated):
    response = create(desk_client, patient_treated, send="1")

    followed = desk_client.get(response["Location"]).content.decode()
    assert "cannot be sent" in followed
    assert "asked for no messages" in followed
    assert Message.objects.count() == 0


def test_a_patient_without_an_intake_gets_a_message_not_a_link(desk_client):
    patient = PatientFactory()

    response = create(desk_client, patient)

    assert response.status_code == 302
    followed = desk_client.get(response["Location"]).content.decode()
    assert "has not submitted an intake" in followed
    assert CheckIn.objects.count() == 0


def test_an_archived_chart_shows_no_buttons_and_refuses_a_link(
    desk_client, front_desk, patient_treated
):
    patient_archive(patient=patient_treated, reason="Moved", archived_by=front_desk)

    page = chart(desk_client, patient_treated).content.decode()
    response = create(desk_client, patient_treated)

    assert "Make a check-in link" not in page
    assert response.status_code == 302
    assert CheckIn.objects.count() == 0


def test_stopping_the_check_in_closes_its_link(desk_client, patient_treated):
    token = LINK.search(create(desk_client, patient_treated).content.decode())[1]

    response = desk_client.post(
        reverse("checkins:checkin_revoke", kwargs={"code": patient_treated.code})
    )

    assert response.status_code == 302
    assert "The check-in was stopped" in desk_client.get(response["Location"]).content.decode()
    assert desk_client.get(f"/check-in/{token}/").status_code == 410
    assert 'data-check-in-status="none"' in chart(desk_client, patient_treated).content.decode()


def test_the_front_desk_never_sees_the_answers(client, users, patient_treated):
    make_check_in(patient_treated, answers=ANSWERS)

    client.force_login(users["front_desk"])
    desk_page = chart(client, patient_treated).content.decode()
    client.force_login(users["acupuncturist"])
    clinician_page = chart(client, patient_treated).content.decode()

    assert "data-check-in-answers" not in desk_page
    assert "Much improved" not in desk_page
    assert "data-check-in-answers" in clinician_page
    assert "Much improved" in clinician_page
    assert "Turning my head to drive" in clinician_page


def test_the_session_form_shows_the_last_check_in_beside_the_pain_scores(
    client, acupuncturist, patient_treated
):
    make_check_in(patient_treated, answers=ANSWERS)
    client.force_login(acupuncturist)

    page = client.get(
        reverse("treatment_sessions:session_create", kwargs={"code": patient_treated.code})
    ).content.decode()

    line = re.search(r'id="last-check-in">(.*?)</p>', page, re.S)[1]
    assert "pain now 3/10, worst 6/10" in line
    assert "4 pain medicine doses in 7 days" in line
    assert "Much improved" in line


def test_the_chart_card_says_when_an_open_check_in_expires(desk_client, patient_treated):
    check_in = checkin_create(patient_treated, by=None, reason=CheckIn.Reason.SESSIONS)

    page = chart(desk_client, patient_treated).content.decode()

    assert "made by the plan" in page
    assert f"works until {check_in.expires_at:%-d %b %Y}" in page
