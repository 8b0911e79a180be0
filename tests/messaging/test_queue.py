"""Queueing a message: by the channel the patient chose, never twice for one key,
and handed to the worker only once the transaction commits."""

import time

import pytest
from django.db import transaction
from django_tasks import default_task_backend

from messaging.models import Message
from messaging.services import Attachment, message_queue
from tests.concurrency import at_the_same_moment
from tests.factories import PatientFactory
from tests.messaging.conftest import choose

pytestmark = pytest.mark.django_db


def queue(patient, key="reminder:appointment:1", **extra):
    return message_queue(
        patient=patient,
        kind=Message.Kind.REMINDER,
        key=key,
        subject="Reminder: your appointment",
        body="A reminder of your appointment.",
        **extra,
    )


def test_a_patient_who_chose_email_gets_it_at_their_address(by_email):
    queued = queue(by_email)

    assert queued.created and not queued.not_queued
    message = Message.objects.get()
    assert (message.channel, message.recipient) == ("email", "jane.doe@example.com")
    assert (message.status, message.attempts, message.kind) == ("queued", 0, "reminder")


def test_a_patient_who_chose_texts_gets_one_at_their_number(by_text):
    queue(by_text)

    message = Message.objects.get()
    assert (message.channel, message.recipient) == ("sms", "+14155550100")


def test_a_patient_who_chose_no_messages_gets_none_and_the_answer_says_why(patient, clinic):
    queued = queue(choose(patient, "none"))

    assert queued.message is None and not queued.created
    assert queued.not_queued == "The patient asked for no messages."
    assert not Message.objects.exists()


def test_no_text_is_queued_while_texts_are_off(patient, clinic, settings):
    settings.SMS_BACKEND = ""

    queued = queue(choose(patient, "sms"))

    assert queued.message is None
    assert "text messages are off" in queued.not_queued
    assert not Message.objects.exists()


def test_texts_through_twilio_are_off_until_its_account_is_set(patient, clinic, settings):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ""

    assert queue(choose(patient, "sms")).message is None


@pytest.mark.parametrize(
    ("channel", "missing", "words"),
    [("email", "email", "no email address"), ("sms", "phone", "no phone number")],
)
def test_no_message_goes_to_a_chart_without_the_address_or_number(
    clinic, texts, front_desk, channel, missing, words
):
    patient = PatientFactory(created_by=front_desk, reminder_channel=channel, **{missing: ""})

    queued = queue(patient)

    assert queued.message is None and words in queued.not_queued
    assert not Message.objects.exists()


def test_an_archived_chart_gets_no_messages(by_email):
    by_email.status = "archived"
    by_email.archived_at = by_email.created_at

    queued = queue(by_email)

    assert queued.message is None and "archived" in queued.not_queued


def test_a_key_queued_again_gives_back_the_first_message(by_email):
    first = queue(by_email)

    again = queue(by_email)

    assert again.message == first.message and not again.created
    assert Message.objects.count() == 1


def test_an_attachment_goes_with_an_email(by_email):
    queue(by_email, attachment=Attachment("appointment.ics", b"BEGIN:VCALENDAR"))

    message = Message.objects.get()
    assert message.attachment_name == "appointment.ics"
    assert bytes(message.attachment) == b"BEGIN:VCALENDAR"


def test_a_text_carries_no_attachment(by_text):
    queue(by_text, attachment=Attachment("appointment.ics", b"BEGIN:VCALENDAR"))

    message = Message.objects.get()
    assert message.attachment_name == "" and bytes(message.attachment) == b""


def test_the_worker_is_asked_to_deliver_only_once_the_transaction_commits(
    by_email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as waiting:
        queued = queue(by_email)
        assert default_task_backend.results == []

    for callback in waiting:
        callback()
    (task,) = default_task_backend.results
    assert task.task.name == "deliver_message"
    assert task.args == [queued.message.pk]


def test_a_transaction_rolled_back_queues_nothing_and_asks_no_worker(
    by_email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            queue(by_email)
            raise RuntimeError("the booking failed after queueing")

    assert not Message.objects.exists()
    assert default_task_backend.results == []


def test_a_duplicate_key_asks_no_second_delivery(by_email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue(by_email)
        queue(by_email)

    assert len(default_task_backend.results) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_key_queued_by_two_at_the_same_moment_makes_one_message(patient, clinic, monkeypatch):
    choose(patient, "email")
    real = Message.objects.get_or_create

    def slowly(**kwargs):
        # Without the key's unique index, both would write: each waits before it does.
        time.sleep(0.3)
        return real(**kwargs)

    monkeypatch.setattr(Message.objects, "get_or_create", slowly)

    outcomes = at_the_same_moment(lambda: queue(patient), lambda: queue(patient))

    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert Message.objects.count() == 1
    assert sorted(outcome.created for outcome in outcomes) == [False, True]
    assert outcomes[0].message.pk == outcomes[1].message.pk
