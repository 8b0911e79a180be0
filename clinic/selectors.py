"""Reads of the pages that bring every app together: the day's lists on the
dashboard, each in a fixed number of queries whatever the number of visits."""

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from accounts.models import User
from intake.selectors import intake_summaries
from plans.models import Plan
from scheduling.models import Appointment
from sessions.models import TreatmentSession

# A visit still booked this long after it ended: the patient was not checked in.
NOT_CHECKED_IN_AFTER = datetime.timedelta(hours=1)


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The clinic's day (settings.TIME_ZONE) as aware datetimes: [start, end)."""
    start = datetime.datetime.combine(day, datetime.time.min)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(start), timezone.make_aware(end)


@dataclass(frozen=True)
class LastSession:
    """The patient's last signed session, as the day's list shows it."""

    date: datetime.date
    pain_before: int
    pain_after: int


@dataclass(frozen=True)
class TodayVisit:
    """One row of the acupuncturist's "Today" list."""

    appointment: Appointment
    # As the chart's data-intake-status.
    intake_status: str
    # The safety badges of the last submitted intake, as the chart shows them.
    safety_flags: list[str]
    plan: Plan | None
    # The patient's last signed session, if any.
    last_session: LastSession | None
    # The session already started from this visit (a draft or a signed note).
    session: TreatmentSession | None

    @property
    def patient(self):
        return self.appointment.patient

    @property
    def can_start_session(self) -> bool:
        return self.session is None and self.appointment.status not in (
            Appointment.Status.CANCELLED,
            Appointment.Status.NO_SHOW,
        )


def todays_visits(practitioner: User, *, day: datetime.date | None = None) -> list[TodayVisit]:
    """The practitioner's visits of the day (today, the clinic's date), in time order,
    cancelled ones included (the page marks them). 5 queries."""
    start, end = day_bounds(day or timezone.localdate())
    last_signed = TreatmentSession.objects.filter(
        patient=OuterRef("patient"), status=TreatmentSession.Status.SIGNED
    ).order_by("-date", "-signed_at", "-pk")
    appointments = list(
        Appointment.objects.filter(
            practitioner=practitioner, starts_at__gte=start, starts_at__lt=end
        )
        .select_related("patient")
        .annotate(
            last_session_date=Subquery(last_signed.values("date")[:1]),
            last_pain_before=Subquery(last_signed.values("pain_before")[:1]),
            last_pain_after=Subquery(last_signed.values("pain_after")[:1]),
        )
        .prefetch_related(
            Prefetch(
                "patient__plans",
                queryset=Plan.objects.active(),
                to_attr="active_plans",
            ),
            Prefetch(
                "sessions",
                queryset=TreatmentSession.objects.exclude(
                    status=TreatmentSession.Status.DISCARDED
                ).order_by("created_at"),
                to_attr="live_sessions",
            ),
        )
        .order_by("starts_at", "pk")
    )
    if not appointments:
        return []
    intakes = intake_summaries(a.patient_id for a in appointments)
    rows = []
    for appointment in appointments:
        intake = intakes[appointment.patient_id]
        rows.append(
            TodayVisit(
                appointment=appointment,
                intake_status=intake.status,
                safety_flags=intake.answers.safety_flags() if intake.answers else [],
                plan=next(iter(appointment.patient.active_plans), None),
                last_session=_last_session(appointment),
                session=next(iter(appointment.live_sessions), None),
            )
        )
    return rows


def _last_session(appointment: Appointment) -> LastSession | None:
    if appointment.last_session_date is None:
        return None
    return LastSession(
        appointment.last_session_date, appointment.last_pain_before, appointment.last_pain_after
    )


@dataclass(frozen=True)
class DaySummary:
    """The front desk's view of the clinic's day."""

    # Checked in (or already seen).
    arrived: int
    # Booked and not yet an hour past their end.
    to_come: int
    # Still booked an hour after the visit ended.
    not_checked_in: int
    cancelled: int
    no_show: int

    @property
    def total(self) -> int:
        """Every visit of the day that was not cancelled."""
        return self.arrived + self.to_come + self.not_checked_in + self.no_show


def day_summary(*, now: datetime.datetime | None = None) -> DaySummary:
    """Today's visits at the clinic, every practitioner's, counted. 1 query."""
    now = now or timezone.now()
    start, end = day_bounds(timezone.localdate(now))
    counts = dict.fromkeys(("arrived", "to_come", "not_checked_in", "cancelled", "no_show"), 0)
    visits = Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end).values_list(
        "status", "starts_at", "length_minutes"
    )
    for status, starts_at, length in visits:
        if status in (Appointment.Status.ARRIVED, Appointment.Status.ATTENDED):
            counts["arrived"] += 1
        elif status == Appointment.Status.BOOKED:
            ends_at = starts_at + datetime.timedelta(minutes=length)
            late = now >= ends_at + NOT_CHECKED_IN_AFTER
            counts["not_checked_in" if late else "to_come"] += 1
        elif status == Appointment.Status.CANCELLED:
            counts["cancelled"] += 1
        elif status == Appointment.Status.NO_SHOW:
            counts["no_show"] += 1
    return DaySummary(**counts)
