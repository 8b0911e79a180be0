"""Check-ins the plan asks for: every few signed sessions, and at the review date."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from checkins.models import CheckIn
from checkins.services import checkin_submit
from messaging.models import Message
from messaging.services import deliver_due
from plans.checkin_triggers import review_date_check_ins
from plans.models import Plan
from tests.factories import make_check_in, make_plan, sign_history
from tests.payloads import treated_patient

pytestmark = pytest.mark.django_db

ANSWERS = {"pain_now": 3, "pain_worst": 6, "psfs_score_1": 7, "headache_days": 5, "pgic": 2}


@pytest.fixture
def patient(db):
    patient = treated_patient()
    patient.reminder_channel = "email"
    patient.email = "pat@example.com"
    patient.save()
    return patient


def plan_every(patient, user, sessions: int) -> Plan:
    plan = make_plan(patient, user=user)
    Plan.objects.filter(pk=plan.pk).update(check_in_every=sessions)
    return plan


def reasons(patient):
    return list(patient.check_ins.order_by("created_at").values_list("reason", flat=True))


def test_a_check_in_is_sent_after_every_n_signed_sessions(patient, acupuncturist):
    plan_every(patient, acupuncturist, 2)

    sign_history(patient, user=acupuncturist, scores=[7])
    assert reasons(patient) == []

    sign_history(patient, user=acupuncturist, scores=[6])
    assert reasons(patient) == ["sessions"]
    message = Message.objects.get()
    assert message.kind == "check_in"
    assert message.dedupe_key == f"check_in:{patient.check_ins.get().code}"


def test_no_second_check_in_while_one_waits_and_the_next_comes_n_sessions_later(
    patient, acupuncturist
):
    plan_every(patient, acupuncturist, 2)
    sign_history(patient, user=acupuncturist, scores=[7, 6])
    waiting = patient.check_ins.get()

    sign_history(patient, user=acupuncturist, scores=[6, 5], start=timezone.localdate())
    assert list(patient.check_ins.all()) == [waiting], "skipped while one is open"

    checkin_submit(waiting, ANSWERS)
    sign_history(
        patient,
        user=acupuncturist,
        scores=[5, 4],
        start=timezone.localdate() + datetime.timedelta(days=1),
    )
    assert reasons(patient) == ["sessions", "sessions"]
    assert Message.objects.count() == 2


def test_zero_turns_the_automatic_check_ins_off(patient, acupuncturist):
    plan = plan_every(patient, acupuncturist, 0)
    Plan.objects.filter(pk=plan.pk).update(review_date=timezone.localdate())

    sign_history(patient, user=acupuncturist, scores=[7, 6, 5, 4])

    assert review_date_check_ins(timezone.localdate()) == 0
    assert CheckIn.objects.count() == 0


def test_a_patient_without_an_intake_can_still_have_sessions_signed(acupuncturist):
    from tests.factories import PatientFactory

    patient = PatientFactory()
    plan_every(patient, acupuncturist, 1)

    signed = sign_history(patient, user=acupuncturist, scores=[7])

    assert signed[0].signed_at is not None
    assert CheckIn.objects.count() == 0


def test_the_review_date_asks_once(patient, acupuncturist):
    plan = plan_every(patient, acupuncturist, 4)
    today = timezone.localdate()
    Plan.objects.filter(pk=plan.pk).update(review_date=today + datetime.timedelta(days=1))

    assert review_date_check_ins(today) == 0, "not yet"
    Plan.objects.filter(pk=plan.pk).update(review_date=today)
    assert review_date_check_ins(today) == 1
    assert review_date_check_ins(today) == 0, "idempotent"
    checkin_submit(patient.check_ins.get(), ANSWERS)
    assert review_date_check_ins(today + datetime.timedelta(days=3)) == 0, "answered since"
    assert reasons(patient) == ["review_date"]
    assert Message.objects.filter(kind="check_in").count() == 1


def test_a_review_date_more_than_a_week_gone_asks_for_nothing(patient, acupuncturist):
    plan = plan_every(patient, acupuncturist, 4)
    today = timezone.localdate()
    Plan.objects.filter(pk=plan.pk).update(review_date=today - datetime.timedelta(days=8))
    assert review_date_check_ins(today) == 0

    Plan.objects.filter(pk=plan.pk).update(review_date=today - datetime.timedelta(days=7))
    assert review_date_check_ins(today) == 1


def test_the_review_date_waits_while_another_check_in_is_open(patient, acupuncturist):
    plan = make_plan(patient, user=acupuncturist)
    earlier = timezone.localdate() - datetime.timedelta(days=2)
    make_check_in(patient, reason="on_demand")
    CheckIn.objects.update(created_at=timezone.now() - datetime.timedelta(days=3))
    Plan.objects.filter(pk=plan.pk).update(review_date=earlier)

    assert review_date_check_ins(timezone.localdate()) == 0
    assert CheckIn.objects.count() == 1


def test_send_reminders_queues_review_check_ins_from_the_recall_hour(
    patient, acupuncturist, settings, capsys
):
    settings.RECALL_HOUR = 10
    plan = make_plan(patient, user=acupuncturist)
    today = timezone.localdate()
    Plan.objects.filter(pk=plan.pk).update(review_date=today)

    call_command("send_reminders", "--at", f"{today.isoformat()}T08:00")
    assert CheckIn.objects.count() == 0
    call_command("send_reminders", "--at", f"{today.isoformat()}T11:00", "--deliver")

    output = capsys.readouterr().out
    assert "Queued 1 check-in(s)." in output
    assert reasons(patient) == ["review_date"]
    [sent] = [email for email in mail.outbox if "/check-in/" in email.body]
    assert "[link]" not in sent.body
    assert sent.subject.startswith("How are you doing?")
    assert deliver_due()["sent"] == 0
