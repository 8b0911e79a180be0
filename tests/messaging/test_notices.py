"""What the patient is told about a visit (scheduling.notices): the booking
confirmation with its calendar file, the cancellation notice, and the reminder
REMINDER_HOURS_BEFORE hours ahead, once."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from messaging.models import Message
from messaging.services import deliver_due
from scheduling.notices import appointment_booked, appointment_cancelled, reminders_due
from scheduling.services import appointment_book, appointment_cancel
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def winter_day() -> datetime.date:
    """A day ahead in January (standard time in California)."""
    return datetime.date(timezone.now().year + 1, 1, 12)  # a Tuesday in 2027


def visit(patient, practitioner, starts_at=None, **extra):
    return AppointmentFactory(
        patient=patient,
        practitioner=practitioner,
        **({"starts_at": starts_at} if starts_at else {}),
        **extra,
    )


def test_a_booking_confirmation_names_the_clinic_practitioner_time_and_place(
    by_email, practitioner, settings
):
    settings.TIME_ZONE = "America/Los_Angeles"
    starts = datetime.datetime.combine(winter_day(), datetime.time(17, 30), tzinfo=UTC)
    appointment = visit(by_email, practitioner, starts)

    queued = appointment_booked(appointment)

    message = queued.message
    assert message.kind == "confirmation"
    assert message.dedupe_key == f"confirmation:appointment:{appointment.code}"
    day = f"{starts:%A} {starts.day} January"
    assert message.subject == f"Your appointment at Harbor Community Clinic on {day}"
    for words in (
        "Hello Janie,",
        "Harbor Community Clinic",
        "Wei Chen",
        f"{day} at 9:30 AM",
        "500 Market Street, San Francisco",
        "(415) 555-0188",
    ):
        assert words in message.body
    assert "17:30" not in message.body and "5:30" not in message.body


def test_the_visit_reads_in_the_clinics_time_zone_whatever_the_servers(
    by_email, practitioner, settings
):
    settings.TIME_ZONE = "America/Los_Angeles"
    starts = datetime.datetime.combine(winter_day(), datetime.time(17, 30), tzinfo=UTC)

    message = appointment_booked(visit(by_email, practitioner, starts)).message

    assert "9:30 AM" in message.body

    settings.TIME_ZONE = "Europe/London"
    again = visit(by_email, practitioner, starts + datetime.timedelta(days=1))
    assert "5:30 PM" in appointment_booked(again).message.body


def test_a_booking_confirmation_by_email_carries_the_visit_as_a_calendar_file(
    by_email, practitioner, settings
):
    settings.TIME_ZONE = "America/Los_Angeles"
    starts = datetime.datetime.combine(winter_day(), datetime.time(17, 30), tzinfo=UTC)
    appointment = visit(by_email, practitioner, starts)

    message = appointment_booked(appointment).message

    assert message.attachment_name == f"appointment-{winter_day():%Y-%m-%d}-0930.ics"
    calendar = bytes(message.attachment).decode()
    assert "BEGIN:VEVENT" in calendar
    assert f"UID:{appointment.code}@acuclinic" in calendar
    assert "Jane" not in calendar and "Doe" not in calendar


def test_a_booking_confirmation_by_text_has_no_file(by_text, practitioner):
    message = appointment_booked(visit(by_text, practitioner)).message

    assert message.channel == "sms" and message.attachment_name == ""


def test_a_patient_who_wants_no_messages_gets_no_confirmation(patient, clinic, practitioner):
    queued = appointment_booked(visit(patient, practitioner))

    assert queued.message is None and "no messages" in queued.not_queued
    assert not Message.objects.exists()


def test_a_cancellation_notice_says_which_visit_is_cancelled(by_email, practitioner):
    appointment = visit(by_email, practitioner, status="cancelled")

    message = appointment_cancelled(appointment).message

    assert message.kind == "cancellation"
    assert message.dedupe_key == f"cancellation:appointment:{appointment.code}"
    assert "is cancelled" in message.subject
    assert "Wei Chen" in message.body and "To book a new time, please call" in message.body


def test_a_visit_cancelled_after_its_time_sends_no_notice(by_email, practitioner):
    past = timezone.now() - datetime.timedelta(hours=2)
    appointment = visit(by_email, practitioner, past, status="cancelled")

    assert appointment_cancelled(appointment) is None
    assert not Message.objects.exists()


# --- Reminders ---------------------------------------------------------------------


def booked_days_ahead(patient, practitioner, days: float, **extra):
    """A visit `days` days from now, booked a week before it."""
    starts = timezone.now() + datetime.timedelta(days=days)
    return visit(
        patient,
        practitioner,
        starts,
        created_at=starts - datetime.timedelta(days=7),
        **extra,
    )


def test_a_reminder_is_queued_once_the_visit_is_within_a_day(by_email, practitioner):
    appointment = booked_days_ahead(by_email, practitioner, 3)
    starts = appointment.starts_at

    assert reminders_due(starts - datetime.timedelta(hours=25)) == 0
    assert reminders_due(starts - datetime.timedelta(hours=24)) == 1

    message = Message.objects.get()
    assert message.kind == "reminder"
    assert message.dedupe_key == f"reminder:appointment:{appointment.code}"
    assert message.subject.startswith("Reminder: your appointment at Harbor Community Clinic")
    assert "Wei Chen" in message.body


def test_a_visit_gets_one_reminder_however_often_they_are_looked_for(by_email, practitioner):
    starts = booked_days_ahead(by_email, practitioner, 1.5).starts_at

    counts = [reminders_due(starts - datetime.timedelta(hours=h)) for h in (23, 20, 2)]

    assert counts == [1, 0, 0]
    assert Message.objects.count() == 1


def test_a_visit_booked_within_the_day_gets_its_confirmation_and_no_reminder(
    by_email, practitioner
):
    starts = timezone.now() + datetime.timedelta(hours=30)
    visit(by_email, practitioner, starts, created_at=starts - datetime.timedelta(hours=20))

    assert reminders_due(starts - datetime.timedelta(hours=12)) == 0


def test_a_visit_that_has_started_cancelled_or_was_checked_in_gets_no_reminder(
    by_email, practitioner
):
    started = booked_days_ahead(by_email, practitioner, 2)
    booked_days_ahead(by_email, practitioner, 2.2, status="cancelled")
    booked_days_ahead(by_email, practitioner, 2.4, status="arrived")

    assert reminders_due(started.starts_at + datetime.timedelta(minutes=1)) == 0
    assert reminders_due(started.starts_at + datetime.timedelta(hours=9)) == 0


def test_the_reminder_comes_as_many_hours_ahead_as_the_clinic_says(
    by_email, practitioner, settings
):
    settings.REMINDER_HOURS_BEFORE = 48
    starts = booked_days_ahead(by_email, practitioner, 5).starts_at

    assert reminders_due(starts - datetime.timedelta(hours=49)) == 0
    assert reminders_due(starts - datetime.timedelta(hours=47)) == 1


# --- Through the booking services -------------------------------------------------


def a_weekday_ahead(hour: int) -> datetime.datetime:
    """A moment next week, Thursday (the clinic opens Monday to Friday, 9 to 5)."""
    today = timezone.localdate()
    thursday = today + datetime.timedelta(days=(3 - today.weekday()) % 7 + 7)
    return timezone.make_aware(datetime.datetime.combine(thursday, datetime.time(hour)))


def test_booking_then_cancelling_a_visit_tells_the_patient_twice(
    by_email, practitioner, front_desk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as committed:
        appointment, _ = appointment_book(
            patient=by_email,
            practitioner=practitioner,
            starts_at=a_weekday_ahead(11),
            length_minutes=45,
            user=front_desk,
        )
    assert len(committed) == 1  # the worker is asked once the booking is saved
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=appointment, reason="Patient called", user=front_desk)

    assert deliver_due() == {"sent": 2}
    confirmation, cancellation = mail.outbox
    assert confirmation.subject.startswith("Your appointment at Harbor Community Clinic")
    assert [a.filename for a in confirmation.attachments] == [
        f"appointment-{a_weekday_ahead(11):%Y-%m-%d}-1100.ics"
    ]
    assert cancellation.subject.endswith("is cancelled")
    assert "Patient called" not in cancellation.body
