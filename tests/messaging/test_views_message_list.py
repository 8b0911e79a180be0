"""/messages/: the outbox for the front desk and the clinic admin. Who was sent what
kind of message, how, when and whether it went; never the text."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from messaging.models import Message
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "/messages/"
BODY = "PRIVATE-BODY-TEXT of the message"
SUBJECT = "PRIVATE-SUBJECT of the message"


def message(patient, number: int, **fields) -> Message:
    return Message.objects.create(
        patient=patient,
        kind=fields.pop("kind", "reminder"),
        channel=fields.pop("channel", "email"),
        recipient=fields.pop("recipient", patient.email),
        subject=SUBJECT,
        body=BODY,
        dedupe_key=f"reminder:appointment:{number}",
        created_at=timezone.now() - datetime.timedelta(minutes=number),
        **fields,
    )


def rows(response) -> list[str]:
    return re.findall(r'<tr data-status="(\w+)" data-kind="(\w+)"', response.content.decode())


def test_the_url_is_messages():
    assert reverse("messaging:message_list") == URL


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_the_desk_and_the_admin_see_each_message_without_its_text(client, users, patient, role):
    message(patient, 1, status="sent", attempts=1, sent_at=timezone.now())
    message(patient, 2, channel="sms", recipient="+14155550100", kind="recall")
    client.force_login(users[role])

    response = client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert BODY not in page and SUBJECT not in page
    assert "jane.doe@example.com" in page and "+14155550100" in page
    assert "Reminder" in page and "Time to book" in page
    chart = reverse("clinic:patient_detail", kwargs={"code": patient.code})
    assert f'href="{chart}"' in page and "Janie" in page
    assert rows(response) == [("sent", "reminder"), ("queued", "recall")]  # newest first


def test_the_acupuncturist_is_refused_and_has_no_link(client, acupuncturist, front_desk):
    client.force_login(acupuncturist)

    assert client.get(URL).status_code == 403
    assert URL not in client.get("/").content.decode()

    client.force_login(front_desk)
    assert f'href="{URL}"' in client.get("/").content.decode()


def test_a_failed_message_shows_why_and_how_often_it_was_tried(client, front_desk, patient):
    message(patient, 1, status="failed", attempts=6, last_error="Twilio error 21211 (HTTP 400)")
    client.force_login(front_desk)

    response = client.get(URL, {"status": "failed"})

    assert rows(response) == [("failed", "reminder")]
    page = response.content.decode()
    assert "Twilio error 21211 (HTTP 400)" in page
    assert re.search(r'data-label="Attempts">6<', page)


@pytest.mark.parametrize(
    ("tab", "shown"),
    [("queued", {"queued", "sending"}), ("sent", {"sent"}), ("failed", {"failed"}), ("", None)],
)
def test_each_tab_shows_its_messages_and_every_tab_counts_its_own(
    client, front_desk, patient, tab, shown
):
    for number, status in enumerate(["queued", "sending", "sent", "sent", "failed"]):
        message(
            patient, number, status=status, sent_at=timezone.now() if status == "sent" else None
        )
    client.force_login(front_desk)

    response = client.get(URL, {"status": tab} if tab else {})

    statuses = {status for status, _ in rows(response)}
    assert statuses == (shown or {"queued", "sending", "sent", "failed"})
    page = response.content.decode()
    for name, count in {"all": 5, "queued": 2, "sent": 2, "failed": 1}.items():
        assert f'data-count="{name}">{count}<' in page


def test_an_unknown_tab_shows_every_message(client, front_desk, patient):
    message(patient, 1, status="sent", sent_at=timezone.now())
    client.force_login(front_desk)

    assert rows(client.get(URL, {"status": "nonsense"})) == [("sent", "reminder")]


def test_the_outbox_is_paged_newest_first(client, front_desk, patient, settings):
    settings.MESSAGES_PER_PAGE = 2
    for number in range(5):
        message(patient, number, kind=["reminder", "recall", "confirmation"][number % 3])
    client.force_login(front_desk)

    first = client.get(URL)
    last = client.get(URL, {"page": 3})

    assert [kind for _, kind in rows(first)] == ["reminder", "recall"]
    assert [kind for _, kind in rows(last)] == ["recall"]
    assert "Page 1 of 3" in first.content.decode()


# The session, the user, their permissions (2), the pager's count, the tabs' counts,
# the page of messages with their patients.
OUTBOX_QUERIES = 7


def _queries(client, count: int, front_desk) -> int:
    for number in range(count):
        patient = PatientFactory(created_by=front_desk)
        message(patient, 100 * count + number)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    Message.objects.all().delete()
    return len(captured)


def test_the_outbox_runs_the_same_queries_for_few_and_many_messages(client, front_desk):
    client.force_login(front_desk)
    client.get(URL)  # sessions and permissions warmed up

    few, many = _queries(client, 3, front_desk), _queries(client, 20, front_desk)

    assert few == many == OUTBOX_QUERIES
