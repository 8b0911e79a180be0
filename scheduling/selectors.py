"""Reads of appointments and of the clinic's hours that views and other apps need,
each in a fixed number of queries."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from accounts.selectors import practitioners
from intake.models import Intake, Patient
from scheduling import grid
from scheduling.hours import ClinicHours, Period, slot_starts
from scheduling.hours import Closure as ClosureDays
from scheduling.models import Appointment, Closure, OpeningHours, PractitionerHours

# How many of a patient's appointments the chart lists.
CHART_APPOINTMENTS_SHOWN = 8
# How far next_free_slot looks past the day asked for.
LOOK_AHEAD_DAYS = 60
# The longest visit (the model's constraint): how far back a visit can start and
# still reach into a given time.
LONGEST_VISIT = datetime.timedelta(minutes=240)


def next_appointment(patient: Patient) -> Appointment | None:
    return patient.appointments.upcoming().select_related("practitioner").first()


def recent_appointments(patient: Patient, *, limit: int = CHART_APPOINTMENTS_SHOWN):
    """The patient's appointments, latest first, at most `limit` (the chart's list)."""
    return list(patient.appointments.select_related("practitioner").order_by("-starts_at")[:limit])


# --- The clinic's hours ---------------------------------------------------------------


def start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the clinic (aware) at the start of `day`."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def local(moment: datetime.datetime) -> datetime.datetime:
    """An aware moment as the clinic's wall-clock time (naive), as hours are kept."""
    return timezone.localtime(moment).replace(tzinfo=None)


def clinic_hours(
    *, first_day: datetime.date, last_day: datetime.date, practitioner_ids=None
) -> ClinicHours:
    """The opening hours, the closures touching those days, and the working hours
    of the given practitioners (every practitioner's when None). Three queries."""
    opening: dict[int, list[Period]] = {}
    for row in OpeningHours.objects.all():
        opening.setdefault(row.weekday, []).append(Period(row.starts, row.ends))
    closures = tuple(
        ClosureDays(row.first_day, row.last_day or row.first_day, row.reason)
        for row in Closure.objects.filter(
            Q(first_day__lte=last_day)
            & (Q(last_day__gte=first_day) | Q(last_day__isnull=True, first_day__gte=first_day))
        )
    )
    own = PractitionerHours.objects.all()
    if practitioner_ids is not None:
        own = own.filter(practitioner_id__in=practitioner_ids)
    worked: dict[int, dict[int, list[Period]]] = {}
    for row in own:
        days = worked.setdefault(row.practitioner_id, {})
        days.setdefault(row.weekday, []).append(Period(row.starts, row.ends))
    return ClinicHours(
        opening={weekday: tuple(sorted(periods)) for weekday, periods in opening.items()},
        closures=closures,
        practitioners={
            user: {weekday: tuple(sorted(p)) for weekday, p in days.items()}
            for user, days in worked.items()
        },
    )


def next_free_slot(
    practitioner: User,
    day: datetime.date,
    length_minutes: int,
    *,
    not_before: datetime.time | None = None,
    patient: Patient | None = None,
) -> datetime.datetime | None:
    """The first time (aware, on the quarter hour, not begun yet) that a visit of
    `length_minutes` with the practitioner can be booked on `day`, from
    `not_before` if given; or else on the next day that has one, looking up to
    LOOK_AHEAD_DAYS ahead (None if none has). With a patient, their own visits are
    avoided too. A time offered here is one appointment_book accepts. Four queries."""
    now = timezone.now()
    today = timezone.localdate(now)
    if day < today:
        day, not_before = today, None
    last_day = day + datetime.timedelta(days=LOOK_AHEAD_DAYS)
    hours = clinic_hours(first_day=day, last_day=last_day, practitioner_ids=[practitioner.pk])
    whose = Q(practitioner=practitioner)
    if patient is not None:
        whose |= Q(patient=patient)
    taken = [
        (starts_at, starts_at + datetime.timedelta(minutes=length))
        for starts_at, length in Appointment.objects.filter(
            whose,
            status__in=Appointment.HOLDS_TIME,
            starts_at__gte=start_of(day) - LONGEST_VISIT,
            starts_at__lt=start_of(last_day + datetime.timedelta(days=1)),
        ).values_list("starts_at", "length_minutes")
    ]
    length = datetime.timedelta(minutes=length_minutes)
    for offset in range(LOOK_AHEAD_DAYS + 1):
        date = day + datetime.timedelta(days=offset)
        for time in slot_starts(hours.working_periods(date, practitioner.pk), length):
            if offset == 0 and not_before is not None and time < not_before:
                continue
            starts = timezone.make_aware(datetime.datetime.combine(date, time))
            ends = starts + length
            if starts <= now or any(s < ends and starts < e for s, e in taken):
                continue
            refused = hours.refusal(
                practitioner_id=practitioner.pk,
                practitioner_name=str(practitioner),
                starts=local(starts),
                ends=local(ends),
            )
            if refused is None:  # the same rule as the booking's, asked the same way
                return starts
    return None


# --- The schedule -------------------------------------------------------------------


@dataclass
class Schedule:
    """What the schedule page shows: the columns (practitioners on a day, or one
    practitioner's days), the rows of the table, and the cancelled visits."""

    columns: list[grid.Column]
    rows: list[grid.Row]
    cancelled: list[Appointment] = field(default_factory=list)

    @property
    def visits(self) -> int:
        return sum(len(column.visits) for column in self.columns)


def _visits(first_day: datetime.date, last_day: datetime.date, *, practitioner=None):
    """The visits starting on those days, with the patient's name and whether their
    intake is done, in one query. Nothing clinical is read."""
    visits = (
        Appointment.objects.filter(
            starts_at__gte=start_of(first_day),
            starts_at__lt=start_of(last_day + datetime.timedelta(days=1)),
        )
        .select_related("patient", "practitioner")
        .only(
            "code",
            "starts_at",
            "length_minutes",
            "status",
            "arrived_at",
            "practitioner",
            "patient__code",
            "patient__first_name",
            "patient__last_name",
            "patient__preferred_name",
            "patient__status",
            *(f"practitioner__{name}" for name in ("username", "first_name", "last_name")),
        )
        .annotate(
            intake_done=Exists(Intake.objects.submitted().filter(patient=OuterRef("patient_id")))
        )
        .order_by("starts_at", "pk")
    )
    if practitioner is not None:
        visits = visits.filter(practitioner=practitioner)
    return list(visits)


def _column(heading, day, practitioner, hours: ClinicHours) -> grid.Column:
    return grid.Column(
        heading=heading,
        day=day,
        practitioner=practitioner,
        working=hours.working_periods(day, practitioner.pk),
        clinic=hours.clinic_periods(day),
        closure=hours.closure_on(day),
    )


def _place(columns: list[grid.Column], visits, key) -> list[Appointment]:
    """Put each visit in its column; return the cancelled ones, which hold no time."""
    by_key = {key(column.practitioner.pk, column.day): column for column in columns}
    cancelled = []
    for visit in visits:
        if visit.status == Appointment.Status.CANCELLED:
            cancelled.append(visit)
            continue
        starts = local(visit.starts_at)
        column = by_key.get(key(visit.practitioner_id, starts.date()))
        if column is not None:
            column.visits.append(grid.Placed(starts, local(visit.ends_at), visit))
    return cancelled


def day_schedule(day: datetime.date, *, practitioner: User | None = None) -> Schedule:
    """A column per practitioner (or only the one given) on `day`. A visit with
    someone no longer bookable gets a column of its own, so no visit is hidden.
    Five queries."""
    people = list(practitioners()) if practitioner is None else [practitioner]
    visits = _visits(day, day, practitioner=practitioner)
    known = {person.pk for person in people}
    for visit in visits:
        if visit.practitioner_id not in known:
            known.add(visit.practitioner_id)
            people.append(visit.practitioner)
    hours = clinic_hours(first_day=day, last_day=day, practitioner_ids=sorted(known))
    columns = [_column(str(person), day, person, hours) for person in people]
    cancelled = _place(columns, visits, key=lambda user, _day: user)
    return Schedule(columns, grid.lay_out(columns, local(timezone.now())), cancelled)


def week_schedule(monday: datetime.date, practitioner: User) -> Schedule:
    """The practitioner's week from `monday`: a column per day. Four queries."""
    days = [monday + datetime.timedelta(days=n) for n in range(7)]
    hours = clinic_hours(first_day=days[0], last_day=days[-1], practitioner_ids=[practitioner.pk])
    visits = _visits(days[0], days[-1], practitioner=practitioner)
    columns = [_column(f"{day:%a %-d %b}", day, practitioner, hours) for day in days]
    cancelled = _place(columns, visits, key=lambda _user, day: day)
    return Schedule(columns, grid.lay_out(columns, local(timezone.now())), cancelled)
