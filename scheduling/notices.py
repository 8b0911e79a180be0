"""What the patient is told about their visits: a booking confirmation (with a
calendar file), a reminder before the visit, and a cancellation notice. Each goes to
the messaging outbox, by the patient's chosen channel; the worker sends it.

Called by scheduling's services inside their transaction; the message is queued
only if the transaction commits.
"""

from scheduling.models import Appointment


def appointment_booked(appointment: Appointment) -> None:
    """Queue the booking confirmation."""


def appointment_cancelled(appointment: Appointment) -> None:
    """Queue the cancellation notice."""
