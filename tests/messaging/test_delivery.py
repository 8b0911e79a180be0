"""Delivering the outbox: each message sent once by its channel, with an audit entry;
a failure tried again after longer and longer waits, then marked failed."""

import datetime
import time

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks import default_task_backend

from audit.models import AuditEntry
from messaging.models import Message
from messaging.services import Attachment, deliver_due, message_queue
from messaging.tasks import CLAIM, deliver_message
from tests.concurrency import at_the_same_moment
from tests.messaging.conftest import choose

pytestmark = pytest.mark.django_db

BODY = "A reminder of your appointment on Tuesday at 9:30 AM."


def queue(patient, *, key="reminder:appointment:1", attachment=None) -> Message:
    return message_queue(
        patient=patient,
        kind=Message.Kind.REMINDER,
        key=key,
        subject="Reminder: your appointment",
        body=BODY,
        attachment=attachment,
    ).message


def later(minutes: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


def test_an_email_is_sent_to_the_patient_with_its_calendar_file(by_email):
    message = queue(by_email, attachment=Attachment("appointment.ics", b"BEGIN:VCALENDAR\r\n"))

    assert deliver_due() == {"sent": 1}

    (email,) = mail.outbox
    assert email.to == ["jane.doe@example.com"]
    assert (email.subject, email.body) == ("Reminder: your appointment", BODY)
    (attachment,) = email.attachments
    assert attachment.filename == "appointment.ics"
    assert attachment.mimetype == "text/calendar"
    assert "BEGIN:VCALENDAR" in attachment.content
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 1 and message.sent_at


def test_a_text_is_sent_to_the_patients_number(by_text, texts):
    queue(by_text)

    deliver_due()

    assert texts == [{"to": "+14155550100", "body": BODY}]
    assert Message.objects.get().status == "sent"


def test_each_message_sent_is_in_the_audit_trail_with_the_patient_and_without_the_text(
    by_email,
):
    message = queue(by_email)

    deliver_message.call(message.pk)

    entry = AuditEntry.objects.get(event=AuditEntry.Event.MESSAGE_SENT)
    assert entry.patient_id == by_email.pk
    assert entry.actor is None  # the worker: "patient or system"
    assert entry.object_pk == str(message.pk)
    assert entry.changes == {"kind": "reminder", "channel": "email"}
    kept = str(entry.changes) + entry.object_repr + entry.path
    assert "reminder of your appointment" not in kept and "jane.doe" not in kept


def test_a_message_sent_is_not_sent_again(by_email):
    message = queue(by_email)
    deliver_due()

    assert deliver_message.call(message.pk) == "skipped"
    assert deliver_due(later(60)) == {}
    assert len(mail.outbox) == 1
    assert AuditEntry.objects.filter(event=AuditEntry.Event.MESSAGE_SENT).count() == 1


def test_a_message_is_not_sent_before_its_time(by_email):
    message = queue(by_email)
    Message.objects.filter(pk=message.pk).update(next_attempt_at=later(10))

    assert deliver_message.call(message.pk) == "skipped"
    assert deliver_due() == {}
    assert mail.outbox == []


def test_a_failed_send_is_tried_again_after_longer_waits_then_marked_failed(
    by_email, mail_server_down, settings, django_capture_on_commit_callbacks
):
    settings.MESSAGE_RETRY_MINUTES = [1, 5, 30, 120, 360]
    message = queue(by_email)
    now = timezone.now()
    waits = []
    for attempt in range(1, 6):
        with django_capture_on_commit_callbacks(execute=True):
            assert deliver_due(now) == {"retry": 1}
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("queued", attempt)
        wait = message.next_attempt_at - now
        waits.append(wait)
        # Not tried again before the wait is over; the worker is asked for then.
        assert deliver_due(now + wait - datetime.timedelta(seconds=1)) == {}
        assert default_task_backend.results[-1].task.run_after == message.next_attempt_at
        now += wait

    assert waits == [datetime.timedelta(minutes=m) for m in (1, 5, 30, 120, 360)]
    assert deliver_due(now) == {"failed": 1}
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 6)
    assert deliver_due(now + datetime.timedelta(days=1)) == {}
    assert not AuditEntry.objects.filter(event=AuditEntry.Event.MESSAGE_SENT).exists()


def test_the_error_kept_on_a_message_names_the_kind_of_failure_not_the_address(
    by_email, mail_server_down
):
    queue(by_email)

    deliver_due()

    message = Message.objects.get()
    assert message.last_error == "Email not sent (SMTPServerDisconnected)"
    assert "jane" not in message.last_error


def test_a_message_sent_after_a_failure_clears_the_error(by_email, mail_server_down, settings):
    queue(by_email)
    deliver_due()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    assert deliver_due(later(1)) == {"sent": 1}
    message = Message.objects.get()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")


def test_a_text_refused_for_good_is_failed_at_once(by_text, monkeypatch):
    from messaging import sms

    def refuse(self, *, to, body):
        raise sms.SmsError("Twilio error 21211 (HTTP 400)", permanent=True)

    monkeypatch.setattr(sms.LocmemBackend, "send", refuse)
    queue(by_text)

    assert deliver_due() == {"failed": 1}
    assert Message.objects.get().last_error == "Twilio error 21211 (HTTP 400)"


def test_a_text_queued_before_texts_were_turned_off_fails_and_is_not_sent(by_text, settings):
    queue(by_text)
    settings.SMS_BACKEND = ""

    assert deliver_due() == {"failed": 1}


def test_a_message_whose_worker_died_mid_send_is_tried_again_once_the_claim_lapses(by_email):
    message = queue(by_email)
    # A worker claimed it and died before it could say how the send went.
    Message.objects.filter(pk=message.pk).update(
        status="sending", attempts=1, next_attempt_at=timezone.now() + CLAIM
    )

    assert deliver_due() == {}
    assert deliver_due(later(CLAIM.total_seconds() / 60 + 1)) == {"sent": 1}
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_workers_delivering_at_once_send_each_message_once(
    patient, clinic, monkeypatch, round_
):
    choose(patient, "email")
    message = queue(patient)
    real_save = Message.save

    def slow_save(self, *args, **kwargs):
        # Without the row lock both workers would read "queued" before either wrote.
        time.sleep(0.2)
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Message, "save", slow_save)

    outcomes = at_the_same_moment(
        lambda: deliver_message.call(message.pk), lambda: deliver_due(timezone.now())
    )

    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    assert AuditEntry.objects.filter(event=AuditEntry.Event.MESSAGE_SENT).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_share_a_queue_and_send_every_message_once(patient, clinic, front_desk):
    choose(patient, "email")
    for number in range(6):
        queue(patient, key=f"reminder:appointment:{number}")

    outcomes = at_the_same_moment(deliver_due, deliver_due)

    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert len(mail.outbox) == 6
    assert sorted(email.subject for email in mail.outbox) == ["Reminder: your appointment"] * 6
    assert set(Message.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert outcomes[0]["sent"] + outcomes[1]["sent"] == 6
