import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import User
from accounts.selectors import practitioners
from audit.models import AuditEntry
from audit.trail import record_read
from intake.access import get_patient_for
from intake.models import Patient
from intake.selectors import patient_page
from intake.services import ChartArchived
from scheduling.calendar import appointment_ics
from scheduling.forms import (
    BOOKING_HORIZON,
    AppointmentForm,
    AppointmentStatusForm,
    ScheduleFilterForm,
    SlotForm,
    cancel_form,
)
from scheduling.models import Appointment
from scheduling.selectors import day_schedule, next_appointment, next_free_slot, week_schedule
from scheduling.services import (
    BookingError,
    appointment_arrived,
    appointment_book,
    appointment_cancel,
    appointment_set_status,
    refuse_booking,
)

# Where the booking form goes back to, from the link that opened it (`?from=`).
BACK_TO = ("worklist", "schedule", "chart")


def _date_or_none(text) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _time_or_none(text) -> datetime.time | None:
    try:
        return datetime.time.fromisoformat(text) if text else None
    except ValueError:
        return None


def _practitioner_or_none(text) -> User | None:
    if not (text and text.isascii() and text.isdigit() and len(text) < 19):
        return None
    return practitioners().filter(pk=int(text)).first()


def _schedule_url(day: datetime.date, **more) -> str:
    return f"{reverse('scheduling:schedule')}?{urlencode({'date': day.isoformat(), **more})}"


def _booking_initial(request, patient: Patient) -> tuple[dict, str]:
    """The form's first values, and a note when they differ from what was asked.

    The link that opened the form asks for a day (`date`, from a free time on the
    schedule, with its `time`; or `due`, the plan's next visit due), today when
    none is given or it has passed, and a practitioner. The form offers the first
    time from then that booking would accept (next_free_slot): with the
    practitioner asked for, or else the earliest with anyone, leaving the choice of
    practitioner to the desk."""
    today = timezone.localdate()
    last_day = today + BOOKING_HORIZON
    asked_day = _date_or_none(request.GET.get("date")) or _date_or_none(request.GET.get("due"))
    day = asked_day if asked_day is not None and today <= asked_day <= last_day else today
    asked_time = _time_or_none(request.GET.get("time")) if "date" in request.GET else None
    asked = _practitioner_or_none(request.GET.get("practitioner", ""))
    initial: dict = {"date": day, "time": None}
    if asked is not None:
        initial["practitioner"] = asked.pk
    length = AppointmentForm.base_fields["length_minutes"].initial
    found = []
    for practitioner in [asked] if asked is not None else practitioners():
        slot = next_free_slot(practitioner, day, length, not_before=asked_time, patient=patient)
        if slot is not None and timezone.localdate(slot) <= last_day:
            found.append(slot)
    if not found:
        who = f" with {asked}" if asked is not None else ""
        return initial, f"No free time{who} in the next weeks: choose a time and check it."
    slot = timezone.localtime(min(found))
    initial.update(date=slot.date(), time=slot.time().replace(second=0, microsecond=0))
    note = ""
    if asked_time is not None and (slot.date(), slot.time()) != (day, asked_time):
        who = f" with {asked}" if asked is not None else ""
        note = (
            f"{asked_time:%H:%M} on {day:%a %-d %b} is not free for a {length}-minute "
            f"visit{who}: the next free time is filled in."
        )
    return initial, note


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
    back = request.GET.get("from") if request.GET.get("from") in BACK_TO else "chart"
    note = ""
    if request.method == "POST":
        form = AppointmentForm(request.POST)
    else:
        initial, note = _booking_initial(request, patient)
        form = AppointmentForm(initial=initial)
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
            if back == "schedule":
                return redirect(_schedule_url(when.date()))
            return redirect("clinic:patient_detail", code=patient.code)
    return render(
        request,
        "scheduling/appointment_form.html",
        {
            "form": form,
            "patient": patient,
            "due": _date_or_none(request.GET.get("due")),
            "note": note,
            "next_appointment": next_appointment(patient),
            "back": back,
            "back_day": _date_or_none(request.GET.get("date")) or timezone.localdate(),
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
            appointment = appointment_set_status(
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
def appointment_ics_view(request, code):
    """The visit as an iCalendar file (scheduling.calendar)."""
    appointment = _get_appointment_for(request.user, code)
    record_read(request, appointment, patient=appointment.patient_id, event=AuditEntry.Event.EXPORT)
    response = HttpResponse(
        appointment_ics(appointment), content_type="text/calendar; charset=utf-8"
    )
    day = timezone.localtime(appointment.starts_at)
    response["Content-Disposition"] = f'attachment; filename="acupuncture-{day:%Y-%m-%d-%H%M}.ics"'
    response["Cache-Control"] = "no-store"
    return response


# --- The schedule -------------------------------------------------------------------


@require_safe
@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def schedule_view(request):
    """The clinic's day, a column per practitioner; or one practitioner's week."""
    query = request.GET.copy()
    if not query.get("date"):
        query["date"] = timezone.localdate().isoformat()  # shown in the date field
    form = ScheduleFilterForm(query)
    context = {"form": form, "schedule": None}
    if form.is_valid():
        context.update(_schedule_context(form.cleaned_data))
    return render(request, "scheduling/schedule.html", context)


def _booking_links(schedule, *, week: bool) -> None:
    """Each column's link to book a free time and its hidden label, worked out once
    a column: the table has a free slot per quarter hour and practitioner."""
    book = reverse("scheduling:schedule_book")
    for column in schedule.columns:
        column.book_url = (
            f"{book}?practitioner={column.practitioner.pk}&date={column.day:%Y-%m-%d}&time="
        )
        column.book_label = (
            f" on {date_format(column.day, 'l j F')}" if week else f" with {column.practitioner}"
        )


def _schedule_context(chosen: dict) -> dict:
    now = timezone.now()
    today = timezone.localdate(now)
    day = chosen["date"] or today
    practitioner = chosen["practitioner"]
    if chosen["view"] == ScheduleFilterForm.WEEK:
        monday = day - datetime.timedelta(days=day.weekday())
        step = datetime.timedelta(days=7)
        keep = {"view": "week", "practitioner": practitioner.pk}
        schedule = week_schedule(monday, practitioner)
        _booking_links(schedule, week=True)
        return {
            "view": "week",
            "day": day,
            "monday": monday,
            "sunday": monday + datetime.timedelta(days=6),
            "practitioner": practitioner,
            "schedule": schedule,
            "previous_url": _schedule_url(monday - step, **keep),
            "next_url": _schedule_url(monday + step, **keep),
            "today_url": _schedule_url(today, **keep),
            "showing_today": monday <= today < monday + step,
            "today": today,
            "now": now,
        }
    step = datetime.timedelta(days=1)
    keep = {"practitioner": practitioner.pk} if practitioner is not None else {}
    schedule = day_schedule(day, practitioner=practitioner)
    _booking_links(schedule, week=False)
    return {
        "view": "day",
        "day": day,
        "practitioner": practitioner,
        "schedule": schedule,
        "previous_url": _schedule_url(day - step, **keep),
        "next_url": _schedule_url(day + step, **keep),
        "today_url": _schedule_url(today, **keep),
        "showing_today": day == today,
        "today": today,
        "now": now,
    }


@require_safe
@login_required
@permission_required("scheduling.add_appointment", raise_exception=True)
def schedule_book_view(request):
    """A free time chosen on the schedule: find the patient, then the booking form,
    filled in with the time."""
    form = SlotForm(request.GET)
    context = {"form": form, "page": None}
    if form.is_valid():
        slot = form.cleaned_data
        context["booking_query"] = urlencode(
            {
                "practitioner": slot["practitioner"].pk,
                "date": slot["date"].isoformat(),
                "time": f"{slot['time']:%H:%M}",
                "from": "schedule",
            },
            safe=":",
        )
        if slot["q"].strip():
            context["page"] = patient_page(
                query=slot["q"], status="active", page_number=request.GET.get("page")
            )
    return render(request, "scheduling/schedule_book.html", context)


@login_required
@permission_required("scheduling.change_appointment", raise_exception=True)
@require_POST
def appointment_arrived_view(request, code):
    """The front desk checks the patient in, from the schedule."""
    appointment = _get_appointment_for(request.user, code)
    already = appointment.status == Appointment.Status.ARRIVED
    name = appointment.patient.display_name
    try:
        appointment = appointment_arrived(appointment=appointment, user=request.user)
    except BookingError as refused:
        messages.error(request, str(refused))
    else:
        arrived = timezone.localtime(appointment.arrived_at)
        if already:
            messages.info(request, f"{name} was already checked in, at {arrived:%H:%M}.")
        else:
            messages.success(request, f"{name} is checked in ({arrived:%H:%M}).")
    return redirect(_schedule_url(timezone.localdate(appointment.starts_at)))


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("scheduling.change_appointment", raise_exception=True)
def appointment_cancel_view(request, code):
    """Cancel a visit, with a reason, after a look at what is cancelled."""
    appointment = _get_appointment_for(request.user, code)
    from_chart = request.GET.get("from") == "chart"
    if from_chart:
        back = reverse("clinic:patient_detail", kwargs={"code": appointment.patient.code})
    else:
        back = _schedule_url(timezone.localdate(appointment.starts_at))
    if appointment.status == Appointment.Status.CANCELLED:
        messages.info(request, "This visit is already cancelled.")
        return redirect(back)
    if appointment.status not in Appointment.HOLDS_TIME:
        messages.error(
            request,
            f"This visit is already marked {appointment.get_status_display().lower()}: "
            "it cannot be cancelled.",
        )
        return redirect(back)
    form = cancel_form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment = appointment_cancel(
                appointment=appointment, reason=form.cleaned_data["reason"], user=request.user
            )
        except BookingError as refused:
            messages.error(request, str(refused))
        else:
            when = timezone.localtime(appointment.starts_at)
            messages.success(
                request,
                f"Cancelled: {appointment.patient.display_name}'s visit on "
                f"{when:%A %-d %B at %H:%M} with {appointment.practitioner}. "
                "To undo this, book the visit again.",
            )
        return redirect(back)
    return render(
        request,
        "scheduling/appointment_cancel.html",
        {"appointment": appointment, "form": form, "back": back},
    )
