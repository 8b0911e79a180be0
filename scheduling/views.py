import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from icalendar import Calendar, Event

from audit.models import AuditEntry
from audit.trail import record_read
from core.models import Clinic
from intake.access import get_patient_for
from intake.models import Patient
from intake.services import ChartArchived
from scheduling.forms import AppointmentForm, AppointmentStatusForm
from scheduling.models import Appointment
from scheduling.selectors import next_appointment
from scheduling.services import (
    BookingError,
    appointment_book,
    appointment_set_status,
    refuse_booking,
)


def _booking_initial(request) -> dict:
    """What the link that opened the form asks for: the day a visit is due (`due`,
    tomorrow when that has passed or none is given) and the practitioner."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    due = _date_or_none(request.GET.get("due"))
    day = due if due is not None and due >= timezone.localdate() else tomorrow
    initial = {"date": day, "time": datetime.time(9, 0)}
    practitioner = request.GET.get("practitioner", "")
    if practitioner.isascii() and practitioner.isdigit():
        initial["practitioner"] = int(practitioner)
    return initial


def _date_or_none(text) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _archived(request, patient: Patient, refused: ChartArchived):
    messages.error(request, str(refused))
    return redirect("clinic:patient_detail", code=patient.code)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("scheduling.add_appointment", raise_exception=True)
def appointment_create_view(request, code):
    patient = get_patient_for(request.user, code)
    try:
        refuse_booking(patient)
    except ChartArchived as refused:
        return _archived(request, patient, refused)
    back = "worklist" if request.GET.get("from") == "worklist" else "chart"
    form = AppointmentForm(
        request.POST if request.method == "POST" else None,
        initial=_booking_initial(request),
    )
    if request.method == "POST" and form.is_valid() and "starts_at" in form.cleaned_data:
        try:
            appointment, created = appointment_book(
                patient=patient,
                practitioner=form.cleaned_data["practitioner"],
                starts_at=form.cleaned_data["starts_at"],
                length_minutes=form.cleaned_data["length_minutes"],
                user=request.user,
            )
        except ChartArchived as refused:
            return _archived(request, patient, refused)
        except BookingError as refused:
            form.add_error(refused.field, str(refused))
        else:
            when = timezone.localtime(appointment.starts_at)
            messages.success(
                request,
                f"{'Booked' if created else 'Already booked'}: {when:%A %-d %B at %H:%M} "
                f"with {appointment.practitioner}.",
            )
            if back == "worklist":
                return redirect("plans:due_list")
            return redirect("clinic:patient_detail", code=patient.code)
    return render(
        request,
        "scheduling/appointment_form.html",
        {
            "form": form,
            "patient": patient,
            "due": _date_or_none(request.GET.get("due")),
            "next_appointment": next_appointment(patient),
            "back": back,
        },
    )


def _get_appointment_for(user, code) -> Appointment:
    if not user.has_perm("scheduling.view_appointment"):
        raise PermissionDenied
    return get_object_or_404(
        Appointment.objects.select_related("patient", "practitioner"), code=code
    )


@login_required
@permission_required("scheduling.change_appointment", raise_exception=True)
@require_POST
def appointment_status_view(request, code):
    appointment = _get_appointment_for(request.user, code)
    form = AppointmentStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose attended, cancelled or no-show.")
    else:
        try:
            appointment_set_status(
                appointment=appointment,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                user=request.user,
            )
        except BookingError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(
                request,
                f"Visit of {timezone.localtime(appointment.starts_at):%-d %B, %H:%M} marked "
                f"{appointment.get_status_display().lower()}.",
            )
    return redirect("clinic:patient_detail", code=appointment.patient.code)


@require_safe
@login_required
def appointment_ics(request, code):
    """The visit as an iCalendar file, for the patient's or a staff calendar.

    It names the clinic and the practitioner, never the patient, so it is safe to
    forward or to sync to a phone.
    """
    appointment = _get_appointment_for(request.user, code)
    record_read(request, appointment, patient=appointment.patient_id, event=AuditEntry.Event.EXPORT)
    calendar = Calendar()
    calendar.add("prodid", "-//AcuClinic//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{appointment.code}@acuclinic")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    clinic = Clinic.current()
    event.add("summary", f"Acupuncture appointment at {clinic.name}")
    description = f"With {appointment.practitioner}."
    if clinic.phone:
        description += f" To change or cancel, call {clinic.phone}."
    event.add("description", description)
    if clinic.address:
        event.add("location", clinic.address)
    cancelled = appointment.status == Appointment.Status.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("sequence", 1 if cancelled else 0)
    calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    day = timezone.localtime(appointment.starts_at)
    response["Content-Disposition"] = f'attachment; filename="acupuncture-{day:%Y-%m-%d-%H%M}.ics"'
    response["Cache-Control"] = "no-store"
    return response
