"""`manage.py send_reminders [--at YYYY-MM-DDTHH:MM] [--deliver]`: what cron runs
every few minutes. It queues what is due once, however often (or however many at
once) it runs, and prints counts, never a name or an address."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from messaging.models import Message
from plans.models import Plan
from tests.concurrency import at_the_same_moment
from tests.factories import AppointmentFactory, PatientFactory, make_plan
from tests.messaging.conftest import choose

pytestmark = pytest.mark.django_db


def send_reminders(*args) -> str:
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def at(moment: datetime.datetime) -> str:
    return f"--at={timezone.localtime(moment):%Y-%m-%dT%H:%M}"


def the_day_before_at_ten(starts: datetime.datetime) -> str:
    """When both are due: the visit 23.5 hours ahead, the recall's day from 10:00."""
    return at(starts - datetime.timedelta(hours=23, minutes=30))


@pytest.fixture
def day_ahead(settings, practitioner):
    """In San Francisco: a patient by email with a visit the day after tomorrow at
    9:30 (booked last week), and one by text whose plan says a visit is due the day
    before. Returns the visit's start."""

    def make(by_email, by_text):
        settings.TIME_ZONE = "America/Los_Angeles"
        day = timezone.localdate() + datetime.timedelta(days=2)
        starts = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 30)))
        AppointmentFactory(
            patient=by_email,
            practitioner=practitioner,
            starts_at=starts,
            created_at=starts - datetime.timedelta(days=7),
        )
        plan = make_plan(by_text, user=practitioner)
        Plan.objects.filter(pk=plan.pk).update(next_due=day - datetime.timedelta(days=1))
        return starts

    return make


@pytest.fixture
def two_patients(clinic, front_desk, texts):
    email = PatientFactory(
        first_name="Ada", last_name="Quill", email="ada@example.com", created_by=front_desk
    )
    text = PatientFactory(
        first_name="Bo", last_name="Lind", phone="+14155550142", created_by=front_desk
    )
    return choose(email, "email"), choose(text, "sms")


def test_at_a_clinic_time_it_queues_the_reminders_and_recalls_due_then(two_patients, day_ahead):
    starts = day_ahead(*two_patients)

    early = send_reminders(at(starts - datetime.timedelta(hours=24, minutes=30)))
    assert early == "Queued 0 reminder(s) and 0 recall(s).\n"  # 9:00 the day before

    output = send_reminders(the_day_before_at_ten(starts))

    assert output == "Queued 1 reminder(s) and 1 recall(s).\n"
    reminder, recall = Message.objects.order_by("kind").reverse()
    assert (reminder.kind, reminder.patient, reminder.channel) == (
        "reminder",
        two_patients[0],
        "email",
    )
    assert (recall.kind, recall.patient, recall.channel) == ("recall", two_patients[1], "sms")


def test_recalls_wait_for_mid_morning(two_patients, day_ahead, settings):
    settings.RECALL_HOUR = 10
    starts = day_ahead(*two_patients)
    day = (starts.date() - datetime.timedelta(days=1)).isoformat()

    assert send_reminders(f"--at={day}T09:59").endswith(" 0 recall(s).\n")
    assert send_reminders(f"--at={day}T10:00").endswith(" 1 recall(s).\n")


def test_running_twice_queues_nothing_twice(two_patients, day_ahead):
    starts = day_ahead(*two_patients)
    moment = the_day_before_at_ten(starts)

    first = send_reminders(moment)
    second = send_reminders(moment)
    later = send_reminders(at(starts - datetime.timedelta(hours=2)))

    assert first == "Queued 1 reminder(s) and 1 recall(s).\n"
    assert second == later == "Queued 0 reminder(s) and 0 recall(s).\n"
    assert Message.objects.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_the_same_moment_queue_each_message_once(two_patients, day_ahead):
    starts = day_ahead(*two_patients)
    moment = the_day_before_at_ten(starts)

    outputs = at_the_same_moment(lambda: send_reminders(moment), lambda: send_reminders(moment))

    assert not any(isinstance(output, Exception) for output in outputs), outputs
    assert sorted(Message.objects.values_list("kind", flat=True)) == ["recall", "reminder"]


def test_deliver_sends_what_it_queued_before_exiting(two_patients, day_ahead, texts):
    starts = day_ahead(*two_patients)

    output = send_reminders(the_day_before_at_ten(starts), "--deliver")

    assert output.splitlines() == [
        "Queued 1 reminder(s) and 1 recall(s).",
        "Sent 2 message(s); 0 to try again later, 0 failed.",
    ]
    assert [email.to for email in mail.outbox] == [["ada@example.com"]]
    assert [text["to"] for text in texts] == ["+14155550142"]
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}


def test_without_deliver_nothing_is_sent(two_patients, day_ahead):
    starts = day_ahead(*two_patients)

    send_reminders(the_day_before_at_ten(starts))

    assert mail.outbox == []
    assert set(Message.objects.values_list("status", flat=True)) == {"queued"}


def test_it_prints_counts_never_names_addresses_or_numbers(two_patients, day_ahead):
    starts = day_ahead(*two_patients)

    output = send_reminders(the_day_before_at_ten(starts), "--deliver")

    for detail in ("Ada", "Quill", "Bo", "Lind", "ada@example.com", "555", "Wei Chen"):
        assert detail not in output


def test_by_default_it_acts_at_the_present_moment(two_patients, practitioner):
    email, _ = two_patients
    starts = timezone.now() + datetime.timedelta(hours=3)
    AppointmentFactory(
        patient=email,
        practitioner=practitioner,
        starts_at=starts,
        created_at=starts - datetime.timedelta(days=3),
    )

    assert send_reminders().startswith("Queued 1 reminder(s)")


@pytest.mark.parametrize("text", ["tomorrow", "2026-13-01T10:00", "2026-12-01"])
def test_a_time_that_is_not_one_is_refused(text):
    with pytest.raises(CommandError, match="--at"):
        send_reminders(f"--at={text}")
