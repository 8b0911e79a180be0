"""Recalls (plans.recalls): a patient whose plan says a visit is due, with nothing
booked, is asked to book; once per due date, in the daytime."""

import datetime

import pytest
from django.utils import timezone

from messaging.models import Message
from plans.models import Plan
from plans.recalls import recalls_due
from tests.factories import AppointmentFactory, make_plan

pytestmark = pytest.mark.django_db


def clinic_time(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def today() -> datetime.date:
    return timezone.localdate()


def due(patient, practitioner, day: datetime.date) -> Plan:
    plan = make_plan(patient, user=practitioner)
    Plan.objects.filter(pk=plan.pk).update(next_due=day)
    plan.refresh_from_db()
    return plan


def test_a_patient_whose_visit_is_due_today_with_nothing_booked_is_asked_to_book(
    by_email, practitioner
):
    plan = due(by_email, practitioner, today())

    assert recalls_due(clinic_time(today(), 10)) == 1

    message = Message.objects.get()
    assert message.kind == "recall"
    assert message.dedupe_key == f"recall:plan:{plan.code}:{today().isoformat()}"
    assert message.subject == "Time to book your next visit at Harbor Community Clinic"
    assert "Wei Chen" in message.body and "is due today" in message.body
    assert "(415) 555-0188" in message.body


def test_an_overdue_visit_is_recalled_with_the_day_it_was_due(by_email, practitioner):
    day = today() - datetime.timedelta(days=4)
    due(by_email, practitioner, day)

    recalls_due(clinic_time(today(), 11))

    assert f"was due on {day:%A} {day.day} {day:%B}" in Message.objects.get().body


def test_no_recall_before_the_day_the_visit_is_due(by_email, practitioner):
    due(by_email, practitioner, today() + datetime.timedelta(days=1))

    assert recalls_due(clinic_time(today(), 12)) == 0


def test_no_recall_is_sent_at_night(by_email, practitioner, settings):
    settings.RECALL_HOUR = 10
    due(by_email, practitioner, today())

    assert recalls_due(clinic_time(today(), 9, 59)) == 0
    assert recalls_due(clinic_time(today(), 10)) == 1


def test_no_recall_for_a_patient_with_a_visit_booked_ahead(by_email, practitioner):
    due(by_email, practitioner, today() - datetime.timedelta(days=2))
    AppointmentFactory(patient=by_email, practitioner=practitioner)  # tomorrow

    assert recalls_due(clinic_time(today(), 10)) == 0


def test_no_recall_for_a_patient_seen_since_the_visit_fell_due(by_email, practitioner):
    # In the clinic this morning; the note is not signed yet, so the plan still
    # says the visit is due.
    due(by_email, practitioner, today())
    AppointmentFactory(
        patient=by_email,
        practitioner=practitioner,
        starts_at=clinic_time(today(), 8),
        status="arrived",
    )

    assert recalls_due(clinic_time(today(), 10)) == 0


def test_a_visit_missed_or_cancelled_leaves_the_recall_due(by_email, practitioner):
    due(by_email, practitioner, today() - datetime.timedelta(days=1))
    AppointmentFactory(
        patient=by_email,
        practitioner=practitioner,
        starts_at=clinic_time(today(), 8),
        status="no_show",
    )
    AppointmentFactory(patient=by_email, practitioner=practitioner, status="cancelled")

    assert recalls_due(clinic_time(today(), 10)) == 1


def test_one_recall_per_due_date_and_another_when_the_date_moves_on(by_email, practitioner):
    plan = due(by_email, practitioner, today() - datetime.timedelta(days=14))
    now = clinic_time(today(), 10)

    assert [recalls_due(now), recalls_due(now + datetime.timedelta(hours=3))] == [1, 0]

    Plan.objects.filter(pk=plan.pk).update(next_due=today())
    assert recalls_due(now) == 1
    assert Message.objects.count() == 2


def test_no_recall_for_a_plan_that_has_ended(by_email, practitioner):
    plan = due(by_email, practitioner, today())
    Plan.objects.filter(pk=plan.pk).update(status="completed", ended_on=today())

    assert recalls_due(clinic_time(today(), 10)) == 0
