"""Reads of appointments that views and other apps need, each in a fixed number of
queries."""

from intake.models import Patient
from scheduling.models import Appointment

# How many of a patient's appointments the chart lists.
CHART_APPOINTMENTS_SHOWN = 8


def next_appointment(patient: Patient) -> Appointment | None:
    return patient.appointments.upcoming().select_related("practitioner").first()


def recent_appointments(patient: Patient, *, limit: int = CHART_APPOINTMENTS_SHOWN):
    """The patient's appointments, latest first, at most `limit` (the chart's list)."""
    return list(patient.appointments.select_related("practitioner").order_by("-starts_at")[:limit])
