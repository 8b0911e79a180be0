"""Writes to appointments. Each takes the acting user explicitly."""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from intake.models import Patient
from intake.services import refuse_archived
from scheduling import notices
from scheduling.models import Appointment
from scheduling.selectors import clinic_hours, local


class BookingError(Exception):
    """A booking or visit change that cannot be made; `field` names the form field
    the message belongs to, if one does."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def refuse_booking(patient: Patient) -> None:
    """Raise ChartArchived for an archived chart: nothing is booked on it until it is
    restored. (A view asks first, on the row it read, to offer no booking form.)"""
    refuse_archived(patient, "This chart is archived. Restore it before booking.")


@transaction.atomic
def appointment_book(
    *,
    patient: Patient,
    practitioner: User,
    starts_at: datetime.datetime,
    length_minutes: int,
    user: User,
) -> tuple[Appointment, bool]:
    """Book a visit. Returns (appointment, created); the same booking sent twice (a
    double click) returns the first one. Refuses an archived chart (ChartArchived);
    and (BookingError, naming the form's field) a time that has passed, a day the
    clinic is closed (a closure, or a weekday without opening hours) or the
    practitioner does not work, a time outside the clinic's or the practitioner's
    hours, and a time overlapping the practitioner's or the patient's other visits.
    Queues the booking confirmation (scheduling.notices)."""
    # One booking at a time per practitioner and per patient, so two desks cannot
    # take the same slot or double-book the patient with two practitioners; and a
    # chart archived meanwhile is seen as archived.
    User.objects.select_for_update().get(pk=practitioner.pk)
    refuse_booking(Patient.objects.select_for_update().get(pk=patient.pk))
    now = timezone.now()
    if starts_at < now:
        earlier_day = timezone.localdate(starts_at) < timezone.localdate(now)
        raise BookingError("That time has already passed.", "date" if earlier_day else "time")
    ends_at = starts_at + datetime.timedelta(minutes=length_minutes)
    same = Appointment.objects.filter(
        patient=patient,
        practitioner=practitioner,
        starts_at=starts_at,
        length_minutes=length_minutes,
        status=Appointment.Status.BOOKED,
    ).first()
    if same is not None:
        return same, False
    day = timezone.localdate(starts_at)
    refused = clinic_hours(first_day=day, last_day=day, practitioner_ids=[practitioner.pk]).refusal(
        practitioner_id=practitioner.pk,
        practitioner_name=str(practitioner),
        starts=local(starts_at),
        ends=local(ends_at),
    )
    if refused is not None:
        raise BookingError(refused.message, refused.field)
    # Overlap test without an "ends_at" column: a clash starts before this one ends,
    # and ends after this one starts (appointments last at most 240 minutes). A
    # patient checked in still holds the practitioner's time.
    nearby = Appointment.objects.filter(
        status__in=Appointment.HOLDS_TIME,
        starts_at__lt=ends_at,
        starts_at__gt=starts_at - datetime.timedelta(minutes=240),
    )
    for other in nearby.filter(practitioner=practitioner):
        if other.ends_at > starts_at:
            raise BookingError(
                f"{practitioner} already has a visit from "
                f"{timezone.localtime(other.starts_at):%H:%M} to "
                f"{timezone.localtime(other.ends_at):%H:%M} that day.",
                "time",
            )
    for other in nearby.filter(patient=patient):
        if other.ends_at > starts_at:
            raise BookingError(
                "The patient already has a visit booked at "
                f"{timezone.localtime(other.starts_at):%H:%M} that day.",
                "time",
            )
    appointment = Appointment.objects.create(
        patient=patient,
        practitioner=practitioner,
        starts_at=starts_at,
        length_minutes=length_minutes,
        created_by=user,
    )
    notices.appointment_booked(appointment)
    return appointment, True


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, reason: str, user: User) -> Appointment:
    """Cancel a visit that is booked (or checked in), with the reason, and queue the
    cancellation notice (scheduling.notices). Cancelling twice changes nothing and
    tells the patient once; a visit attended or missed cannot be cancelled. To undo
    a cancellation, book the visit again."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status == Appointment.Status.CANCELLED:
        return appointment  # sent twice
    if appointment.status not in Appointment.HOLDS_TIME:
        raise BookingError(
            f"This visit is already marked {appointment.get_status_display().lower()}: "
            "it cannot be cancelled."
        )
    appointment.status = Appointment.Status.CANCELLED
    appointment.status_reason = reason
    appointment.status_changed_at = timezone.now()
    appointment.status_changed_by = user
    appointment.save(
        update_fields=["status", "status_reason", "status_changed_at", "status_changed_by"]
    )
    notices.appointment_cancelled(appointment)
    return appointment


@transaction.atomic
def appointment_set_status(
    *, appointment: Appointment, status: str, reason: str, user: User
) -> Appointment:
    """Mark a booked visit attended, cancelled (appointment_cancel) or a no-show
    (once; rebook to undo)."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status == status:
        return appointment  # sent twice
    if not appointment.is_booked:
        raise BookingError(
            f"This visit is already marked {appointment.get_status_display().lower()}."
        )
    if status == Appointment.Status.CANCELLED:
        return appointment_cancel(appointment=appointment, reason=reason, user=user)
    if status in (Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW):
        if appointment.starts_at > timezone.now():
            raise BookingError("A visit that has not started yet cannot be marked that way.")
    else:
        raise BookingError("Choose attended, cancelled or no-show.")
    appointment.status = status
    appointment.status_reason = reason
    appointment.status_changed_at = timezone.now()
    appointment.status_changed_by = user
    appointment.save()
    return appointment


@transaction.atomic
def appointment_arrived(*, appointment: Appointment, user: User) -> Appointment:
    """The front desk checks the patient in: the visit is "arrived", with the time.
    Checking in twice changes nothing; only a booked visit can be checked in, and
    not before its day."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status == Appointment.Status.ARRIVED:
        return appointment
    if not appointment.is_booked:
        raise BookingError(
            f"This visit is marked {appointment.get_status_display().lower()}: "
            "only a booked visit can be checked in."
        )
    now = timezone.now()
    if timezone.localdate(appointment.starts_at) > timezone.localdate(now):
        raise BookingError("This visit is on a later day: check the patient in on the day.")
    appointment.status = Appointment.Status.ARRIVED
    appointment.arrived_at = now
    appointment.status_changed_at = now
    appointment.status_changed_by = user
    appointment.save(
        update_fields=["status", "arrived_at", "status_changed_at", "status_changed_by"]
    )
    return appointment


@transaction.atomic
def appointment_attended(*, appointment: Appointment, user: User) -> Appointment:
    """The patient was treated (a session started from this visit was signed): the
    visit is "attended". A visit already attended stays so; a cancelled one or a
    no-show is refused (the session belongs to another visit then)."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status == Appointment.Status.ATTENDED:
        return appointment
    if appointment.status not in (Appointment.Status.BOOKED, Appointment.Status.ARRIVED):
        raise BookingError(
            f"This visit is marked {appointment.get_status_display().lower()}: it cannot "
            "be marked attended."
        )
    appointment.status = Appointment.Status.ATTENDED
    appointment.status_changed_at = timezone.now()
    appointment.status_changed_by = user
    appointment.save(update_fields=["status", "status_changed_at", "status_changed_by"])
    return appointment
