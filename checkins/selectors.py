"""Reads of check-ins that views and other apps need, each in a fixed number of queries."""

from checkins.models import CheckIn
from intake.models import Patient
from messaging.services import recipient_for


def open_check_in(patient: Patient) -> CheckIn | None:
    """The check-in waiting for the patient's answers (it may have expired): neither
    answered nor stopped. One query."""
    return (
        patient.check_ins.select_related("created_by")
        .filter(submitted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )


def last_answered(patient: Patient) -> CheckIn | None:
    """The patient's latest answered check-in. One query."""
    return patient.check_ins.filter(submitted_at__isnull=False).order_by("-submitted_at").first()


def answered_for(patient: Patient) -> list[CheckIn]:
    """Every answered check-in of the patient, oldest first (for progress). One query."""
    return list(patient.check_ins.filter(submitted_at__isnull=False).order_by("submitted_at"))


def chart_check_ins(patient: Patient, *, clinical: bool) -> dict:
    """What the chart's check-in card shows: the open check-in, how a message would
    reach the patient and, for clinicians only, the last answers. 1 query, or 2
    with the answers."""
    channel, _address_or_reason = recipient_for(patient)
    return {
        "check_in": open_check_in(patient),
        "check_in_channel": channel,
        "last_check_in": last_answered(patient) if clinical else None,
    }
