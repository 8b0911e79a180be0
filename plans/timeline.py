"""The plan page's timeline, and the date axis the progress charts share: SVG
coordinates worked out here, drawn by templates with SVG attributes only (the
Content-Security-Policy allows no inline style or script).

The x axis is true time: a fortnight between two visits is twice as wide as a week.
The drawing scales to its card (a viewBox, width 100%), so on a phone the newest
visit is on screen without scrolling sideways; a long history shows its last
months (WINDOW_DAYS), and the whole of it on request.
"""

import datetime
import math
from dataclasses import dataclass

from plans import cadence

# The drawing's own units. Narrow on purpose: on a 375 px phone it shrinks to about
# 0.85, so its 13-unit labels stay readable (about 11 px).
WIDTH = 360
# How much history a chart shows unless asked for all of it (about 6 months).
WINDOW_DAYS = 183
# Space around the first and last dates, so a marker is never cut in half.
PAD_DAYS = 4
MIN_SPAN_DAYS = 21
MAX_TICKS = 5


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    anchor: str = "middle"  # "start" or "end" near the edges, so no label is cut


@dataclass(frozen=True)
class Band:
    """A stretch of time at one cadence rung."""

    x: float
    width: float
    rung: str  # a cadence.Rung value
    label: str
    start: datetime.date
    end: datetime.date
    label_x: float
    show_label: bool  # wide enough to carry its label
    fill: str


# Paler to greener as visits become less frequent (the print stylesheet greys them).
RUNG_FILLS = {
    cadence.Rung.WEEKLY: "#f1f3f5",
    cadence.Rung.FORTNIGHTLY: "#e6f4ea",
    cadence.Rung.MONTHLY: "#cfead7",
    cadence.Rung.MAINTENANCE: "#b7dfc3",
}


def day_words(day: datetime.date) -> str:
    """ "3 Mar 2025"."""
    return f"{day.day} {day:%b %Y}"


def _round(value: float) -> float:
    return round(value, 1)


@dataclass(frozen=True)
class DateAxis:
    """Dates from `start` to `end` across the plot, from x `left` to `right`."""

    start: datetime.date
    end: datetime.date
    left: float
    right: float
    cut: bool  # the window leaves out older data

    @classmethod
    def around(
        cls,
        dates,
        *,
        left: float,
        right: float,
        window_days: int | None = WINDOW_DAYS,
        until: datetime.date | None = None,
    ) -> "DateAxis | None":
        """An axis over `dates` (and `until`, when given), keeping the newest
        `window_days` days when `window_days` is not None. None without dates."""
        dates = [d for d in dates if d is not None]
        if until is not None and dates:
            dates.append(until)
        if not dates:
            return None
        first, last = min(dates), max(dates)
        cut = window_days is not None and (last - first).days > window_days
        if cut:
            first = last - datetime.timedelta(days=window_days)
        start = first - datetime.timedelta(days=PAD_DAYS)
        end = last + datetime.timedelta(days=PAD_DAYS)
        short = MIN_SPAN_DAYS - (end - start).days
        if short > 0:  # a lone visit sits in the middle of three weeks
            start -= datetime.timedelta(days=short // 2)
            end += datetime.timedelta(days=short - short // 2)
        return cls(start=start, end=end, left=left, right=right, cut=cut)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def shows(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    def x(self, day: datetime.date) -> float:
        share = (day - self.start).days / self.days
        return _round(self.left + share * (self.right - self.left))

    def _tick(self, day: datetime.date, label: str) -> Tick:
        x = self.x(day)
        room = 3.5 * len(label)  # half the label's width, roughly, at 13 units
        if x - room < self.left - 20:
            return Tick(x, label, "start")
        if x + room > self.right + 6:
            return Tick(x, label, "end")
        return Tick(x, label)

    def ticks(self) -> list[Tick]:
        """Month starts on a long axis, Mondays on a short one; at most MAX_TICKS."""
        if self.days > 90:
            months = []
            day = datetime.date(self.start.year, self.start.month, 1)
            while day <= self.end:
                if day >= self.start:
                    months.append(day)
                day = datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)
            step = math.ceil(len(months) / MAX_TICKS) or 1
            chosen = months[::step]
            return [
                self._tick(d, f"{d:%b %Y}" if (n == 0 or d.month == 1) else f"{d:%b}")
                for n, d in enumerate(chosen)
            ]
        monday = self.start + datetime.timedelta(days=-self.start.weekday() % 7)
        mondays = []
        while monday <= self.end:
            mondays.append(monday)
            monday += datetime.timedelta(days=7)
        step = math.ceil(len(mondays) / MAX_TICKS) or 1
        return [self._tick(d, f"{d.day} {d:%b}") for d in mondays[::step]]

    def bands(self, periods) -> list[Band]:
        """`periods`: (start, end or None, rung) in date order; clipped to the axis."""
        bands = []
        for start, end, rung in periods:
            start = max(start, self.start)
            end = min(end or self.end, self.end)
            if end <= start:
                continue
            x1, x2 = self.x(start), self.x(end)
            label = cadence.Rung(rung).label
            bands.append(
                Band(
                    x=x1,
                    width=_round(x2 - x1),
                    rung=rung,
                    label=label,
                    start=start,
                    end=end,
                    label_x=_round(x1 + 3),
                    show_label=(x2 - x1) >= 7 * len(label) + 6,
                    fill=RUNG_FILLS[cadence.Rung(rung)],
                )
            )
        return bands


def cadence_periods(outcome: cadence.Outcome, start: datetime.date):
    """The cadence in force from `start` (the plan's) through each change: a list of
    (from, until or None, rung). A change counts from the day of its step."""
    periods = []
    current, since = cadence.Rung.WEEKLY, start
    for step in outcome.steps:
        if step.after != current:
            periods.append((since, step.date, current.value))
            current, since = step.after, step.date
    periods.append((since, None, current.value))
    return periods


def pain_y(score: int, *, top: float, bottom: float) -> float:
    """0 at the bottom, 10 at the top."""
    return _round(bottom - score * (bottom - top) / 10)


HEIGHT = 230
LEFT, RIGHT, TOP, BOTTOM = 24, 8, 20, 26


def timeline(outcome: cadence.Outcome, sessions=(), *, whole: bool = False) -> dict | None:
    """The plan's signed sessions on a date axis: pain before and after each, the
    baseline, and the cadence as bands. `sessions` are the plan's TreatmentSessions
    (for the pain after needling). None without sessions."""
    steps = [step for step in outcome.steps if step.is_session]
    if not steps:
        return None
    after = {str(s.code): s.pain_after for s in sessions}
    plot_bottom = HEIGHT - BOTTOM
    axis = DateAxis.around(
        [s.date for s in steps],
        left=LEFT,
        right=WIDTH - RIGHT,
        window_days=None if whole else WINDOW_DAYS,
    )

    def y(score):
        return pain_y(score, top=TOP, bottom=plot_bottom)

    shown = [step for step in steps if axis.shows(step.date)]
    before_marks = [
        Mark(
            axis.x(s.date), y(s.pain_before), f"{day_words(s.date)}: pain before {s.pain_before}/10"
        )
        for s in shown
    ]
    after_marks = [
        Mark(axis.x(s.date), y(after[s.key]), f"{day_words(s.date)}: pain after {after[s.key]}/10")
        for s in shown
        if after.get(s.key) is not None
    ]
    baseline_y = y(outcome.baseline) if outcome.baseline is not None else None
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": plot_bottom,
        "band_height": plot_bottom - TOP,
        "tick_label_y": plot_bottom + 17,
        "cut": axis.cut,
        "first_shown": axis.start,
        "before": before_marks,
        "before_line": " ".join(f"{m.x},{m.y}" for m in before_marks),
        "after": after_marks,
        "after_line": " ".join(f"{m.x},{m.y}" for m in after_marks),
        "bands": axis.bands(cadence_periods(outcome, axis.start)),
        "pain_ticks": [Mark(LEFT - 6, y(s), str(s)) for s in (0, 2, 4, 6, 8, 10)],
        "baseline": outcome.baseline,
        "baseline_y": baseline_y,
        "baseline_label_y": _round(baseline_y - 4) if baseline_y is not None else None,
        "date_ticks": axis.ticks(),
    }
