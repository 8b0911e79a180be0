"""The clinic's hours as plain data, and the booking rules that follow from them.

When the clinic is open, when each practitioner works, and the days it is closed,
as `scheduling.selectors.clinic_hours` reads them from the database. The booking
service (`appointment_book`) and `next_free_slot` ask a ClinicHours the same
question, so the first time offered is never one the booking would refuse.

No database here. Times are the clinic's wall-clock times (settings.TIME_ZONE),
given as naive `datetime`s in that zone.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# The schedule's rows, and the grid free times are offered on.
SLOT = datetime.timedelta(minutes=15)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, order=True)
class Period:
    """From `starts` to `ends` on one day, `ends` excluded."""

    starts: datetime.time
    ends: datetime.time

    def __str__(self):
        return f"{self.starts:%H:%M}–{self.ends:%H:%M}"

    def holds(self, starts: datetime.time, ends: datetime.time) -> bool:
        return self.starts <= starts and ends <= self.ends


def periods_in_words(periods: Iterable[Period]) -> str:
    return " and ".join(str(period) for period in periods)


def overlap(first: Iterable[Period], second: Iterable[Period]) -> tuple[Period, ...]:
    """The times in both lists: a practitioner's hours while the clinic is open."""
    found = []
    for a in first:
        for b in second:
            starts, ends = max(a.starts, b.starts), min(a.ends, b.ends)
            if starts < ends:
                found.append(Period(starts, ends))
    return tuple(sorted(found))


@dataclass(frozen=True)
class Closure:
    first_day: datetime.date
    last_day: datetime.date
    reason: str

    def covers(self, day: datetime.date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class Refusal:
    """Why a booking is refused, and the booking form's field it is shown next to."""

    message: str
    field: str


@dataclass(frozen=True)
class ClinicHours:
    """The clinic's opening hours by weekday (0 is Monday; a weekday missing is
    closed), its closures, and the working hours of the practitioners who have
    their own (by user id; one missing works the clinic's opening hours)."""

    opening: Mapping[int, tuple[Period, ...]]
    closures: tuple[Closure, ...] = ()
    practitioners: Mapping[int, Mapping[int, tuple[Period, ...]]] = field(default_factory=dict)

    def closure_on(self, day: datetime.date) -> Closure | None:
        return next((closure for closure in self.closures if closure.covers(day)), None)

    def clinic_periods(self, day: datetime.date) -> tuple[Period, ...]:
        """When the clinic is open that day: nothing on a closure."""
        if self.closure_on(day) is not None:
            return ()
        return self.opening.get(day.weekday(), ())

    def working_periods(self, day: datetime.date, practitioner_id: int) -> tuple[Period, ...]:
        """When the practitioner can be booked that day."""
        clinic = self.clinic_periods(day)
        own = self.practitioners.get(practitioner_id)
        if own is None:
            return clinic
        return overlap(clinic, own.get(day.weekday(), ()))

    def refusal(
        self,
        *,
        practitioner_id: int,
        practitioner_name: str,
        starts: datetime.datetime,
        ends: datetime.datetime,
    ) -> Refusal | None:
        """Why a visit from `starts` to `ends` (clinic-local) cannot be booked with
        the practitioner, or None. A visit lies within one period of the clinic's
        hours and of the practitioner's."""
        day = starts.date()
        weekdays = f"{WEEKDAY_NAMES[day.weekday()]}s"
        closure = self.closure_on(day)
        if closure is not None:
            return Refusal(f"The clinic is closed on {day:%A %-d %B}: {closure.reason}.", "date")
        clinic = self.clinic_periods(day)
        if not clinic:
            return Refusal(f"The clinic is closed on {weekdays}.", "date")
        # Opening hours end before midnight, so a visit into the next day is outside.
        same_day = ends.date() == day
        start_time, end_time = starts.time(), ends.time()
        if not same_day or not any(p.holds(start_time, end_time) for p in clinic):
            return Refusal(
                f"The clinic is open {periods_in_words(clinic)} on {weekdays}: "
                "the visit must start and end within those hours.",
                "time",
            )
        working = self.working_periods(day, practitioner_id)
        if not working:
            return Refusal(f"{practitioner_name} does not work on {weekdays}.", "date")
        if not any(p.holds(start_time, end_time) for p in working):
            return Refusal(
                f"{practitioner_name} works {periods_in_words(working)} on {weekdays}: "
                "the visit must start and end within those hours.",
                "time",
            )
        return None


def slot_starts(periods: Iterable[Period], length: datetime.timedelta) -> list[datetime.time]:
    """The quarter hours a visit of `length` can start at and end within one period."""
    starts = []
    for period in periods:
        moment = _on_grid(datetime.datetime.combine(datetime.date.min, period.starts))
        last = datetime.datetime.combine(datetime.date.min, period.ends) - length
        while moment <= last:
            starts.append(moment.time())
            moment += SLOT
    return starts


def _on_grid(moment: datetime.datetime) -> datetime.datetime:
    """The first quarter hour at or after `moment`."""
    past = datetime.timedelta(minutes=moment.minute % 15, seconds=moment.second)
    past += datetime.timedelta(microseconds=moment.microsecond)
    return moment if not past else moment - past + SLOT
