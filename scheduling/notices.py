"""What the patient is told about their visits: a booking confirmation (with a
calendar file), a reminder before the visit, and a cancellation notice. Each goes to
the messaging outbox, by the patient's chosen channel; the worker sends it.

Called by scheduling's services inside their transaction; the message is queued
only if the transaction commits. Reminders are queued by `send_reminders` (cron).

The words are about the visit only: the clinic, the practitioner, the day and time
on the clinic's clock, the address and phone. Never why the patient comes.
"""

import datetime

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from core.models import Clinic
from messaging import compose
from messaging.models import Message
from messaging.selectors import already_queued
from messaging.services import Attachment, Queued, message_queue, recipient_for
from scheduling.calendar import appointment_ics
from scheduling.models import Appointment


def _key(kind: str, appointment: Appointment) -> str:
    return f"{kind}:appointment:{appointment.code}"


def _queue(
    kind: str, appointment: Appointment, *, clinic: Clinic | None = None, calendar_file=False
) -> Queued:
    channel, why_not = recipient_for(appointment.patient)
    if channel is None:
        return Queued(None, not_queued=why_not)  # nothing to write
    subject, body = compose.render(
        kind,
        {
            "name": compose.greeting_name(appointment.patient),
            "practitioner": str(appointment.practitioner),
            "day": compose.day_words(appointment.starts_at),
            "time": compose.time_words(appointment.starts_at),
        },
        clinic=clinic,
    )
    attachment = None
    if calendar_file and channel == Message.Channel.EMAIL:
        day = compose.clinic_local(appointment.starts_at)
        attachment = Attachment(
            f"appointment-{day:%Y-%m-%d-%H%M}.ics", appointment_ics(appointment)
        )
    return message_queue(
        patient=appointment.patient,
        kind=kind,
        key=_key(kind, appointment),
        subject=subject,
        body=body,
        attachment=attachment,
    )


def appointment_booked(appointment: Appointment) -> Queued:
    """Queue the booking confirmation, with the visit as a calendar file (by email)."""
    return _queue(Message.Kind.CONFIRMATION, appointment, calendar_file=True)


def appointment_cancelled(appointment: Appointment) -> Queued | None:
    """Queue the cancellation notice (none for a visit whose time has passed: that
    is the book being tidied, not news for the patient)."""
    if appointment.starts_at <= timezone.now():
        return None
    return _queue(Message.Kind.CANCELLATION, appointment)


def reminders_due(now: datetime.datetime) -> int:
    """Queue a reminder for each booked visit starting within REMINDER_HOURS_BEFORE
    hours of `now`, once per visit. A visit booked within that window gets none: its
    confirmation has just told the patient. Returns how many were queued."""
    window = datetime.timedelta(hours=settings.REMINDER_HOURS_BEFORE)
    appointments = list(
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED,
            starts_at__gt=now,
            starts_at__lte=now + window,
            starts_at__gte=F("created_at") + window,
        ).select_related("patient", "practitioner")
    )
    done = already_queued(_key(Message.Kind.REMINDER, a) for a in appointments)
    clinic = Clinic.current()
    return sum(
        _queue(Message.Kind.REMINDER, appointment, clinic=clinic).created
        for appointment in appointments
        if _key(Message.Kind.REMINDER, appointment) not in done
    )
