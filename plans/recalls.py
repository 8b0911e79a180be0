"""Recalls: telling a patient it is time to book, when their plan's next visit is due
and nothing is booked. Queued by `send_reminders` (cron), through the messaging
outbox, by the patient's chosen channel.

The words say the clinic, the practitioner, the day the visit is due, the address
and phone; never the plan, its cadence or why the patient comes.
"""

import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef

from core.models import Clinic
from intake.models import Patient
from messaging import compose
from messaging.models import Message
from messaging.selectors import already_queued
from messaging.services import message_queue
from plans.models import Plan
from scheduling.models import Appointment


def _key(plan: Plan) -> str:
    # One recall per due date: a plan whose next visit moves on may recall again.
    return f"recall:plan:{plan.code}:{plan.next_due.isoformat()}"


def recalls_due(now: datetime.datetime) -> int:
    """Queue a recall for each active plan whose next visit is due today or earlier
    (clinic-local) and whose patient has no visit on or after that day (booked, or
    already there: a note not yet signed has not moved the plan on). Only from
    RECALL_HOUR on, so nobody is texted at night. Returns how many were queued."""
    local = compose.clinic_local(now)
    if local.hour < settings.RECALL_HOUR:
        return 0
    today = local.date()
    visit_since_due = Appointment.objects.filter(
        patient=OuterRef("patient"),
        status__in=[
            Appointment.Status.BOOKED,
            Appointment.Status.ARRIVED,
            Appointment.Status.ATTENDED,
        ],
        starts_at__date__gte=OuterRef("next_due"),
    )
    plans = list(
        Plan.objects.due_by(today)
        .filter(patient__status=Patient.Status.ACTIVE)
        .exclude(Exists(visit_since_due))
        .select_related("patient", "practitioner")
        .order_by("next_due", "pk")
    )
    done = already_queued(_key(plan) for plan in plans)
    clinic = Clinic.current()
    queued = 0
    for plan in plans:
        if _key(plan) in done:
            continue
        subject, body = compose.render(
            Message.Kind.RECALL,
            {
                "name": compose.greeting_name(plan.patient),
                "practitioner": str(plan.practitioner),
                "day": compose.day_words(plan.next_due),
                "due_today": plan.next_due == today,
            },
            clinic=clinic,
        )
        queued += message_queue(
            patient=plan.patient,
            kind=Message.Kind.RECALL,
            key=_key(plan),
            subject=subject,
            body=body,
        ).created
    return queued
