"""The schedule's layout: quarter-hour rows, a column per practitioner (the day
view) or per day (a practitioner's week), each slot a visit, a free time, or a
time the practitioner does not work or the clinic is closed.

Plain data, no database: `scheduling.selectors` gathers the hours and the visits,
this places them, and the template draws a table (visits spanning several rows
with rowspan) or, on a phone, a list per column (`Column.agenda`).
"""

import datetime
from dataclasses import dataclass, field

from scheduling.hours import Closure, Period

SLOT_MINUTES = 15
DAY_SLOTS = 24 * 60 // SLOT_MINUTES


@dataclass
class Placed:
    """A visit with its clinic-local start and end (naive), on the schedule."""

    starts: datetime.datetime
    ends: datetime.datetime
    appointment: object


@dataclass
class AgendaItem:
    """One line of a column's list on a phone: a visit, or a free stretch."""

    kind: str  # "visit" or "free"
    starts: datetime.time
    ends: datetime.time | None = None
    appointment: object = None


@dataclass
class Column:
    heading: str
    day: datetime.date
    practitioner: object
    working: tuple[Period, ...]  # when the practitioner can be booked
    clinic: tuple[Period, ...]  # when the clinic is open
    closure: Closure | None = None
    visits: list[Placed] = field(default_factory=list)
    agenda: list[AgendaItem] = field(default_factory=list)
    # Filled in by the view, once a column rather than once a free slot: the link
    # to book a free time, up to its time (`...&time=`), and what its hidden label
    # adds after the time (" with <practitioner>" or " on <day>").
    book_url: str = ""
    book_label: str = ""

    @property
    def closed_all_day(self) -> bool:
        return not self.clinic

    @property
    def off_all_day(self) -> bool:
        return not self.working


@dataclass
class Cell:
    column: Column
    kind: str  # "visits", "free", "past", "off", "closed" or "closed_day"
    time: datetime.time
    rowspan: int = 1
    visits: list = field(default_factory=list)
    label: str = field(init=False, repr=False, compare=False)  # the time, "HH:MM"

    def __post_init__(self):
        self.label = f"{self.time:%H:%M}"


@dataclass
class Row:
    time: datetime.time
    cells: list[Cell]


def _minutes(moment: datetime.time) -> int:
    return moment.hour * 60 + moment.minute


def _time(slot: int) -> datetime.time:
    if slot >= DAY_SLOTS:
        return datetime.time(23, 59)  # the end of the day's last row
    minutes = slot * SLOT_MINUTES
    return datetime.time(minutes // 60, minutes % 60)


def _visit_slots(column: Column, placed: Placed) -> tuple[int, int]:
    """The rows a visit covers, [first, end), on its column's day."""
    start = datetime.datetime.combine(column.day, datetime.time())
    first = int((placed.starts - start).total_seconds() // 60) // SLOT_MINUTES
    end = -(-int((placed.ends - start).total_seconds() // 60) // SLOT_MINUTES)  # rounded up
    first = max(0, min(first, DAY_SLOTS - 1))
    return first, max(first + 1, min(end, DAY_SLOTS))


def _clusters(column: Column) -> list[tuple[int, int, list]]:
    """Visits grouped where their rows overlap (a no-show and the visit booked into
    its time, say): one cell each, spanning from the first row to the last."""
    clusters: list[tuple[int, int, list]] = []
    for placed in sorted(column.visits, key=lambda p: (p.starts, p.ends)):
        first, end = _visit_slots(column, placed)
        if clusters and first < clusters[-1][1]:
            start, stop, visits = clusters[-1]
            clusters[-1] = (start, max(stop, end), [*visits, placed.appointment])
        else:
            clusters.append((first, end, [placed.appointment]))
    return clusters


def _row_range(columns: list[Column]) -> tuple[int, int]:
    """From the earliest opening (or visit) to the latest closing (or visit end)."""
    firsts, ends = [], []
    for column in columns:
        for period in column.clinic:
            firsts.append(_minutes(period.starts) // SLOT_MINUTES)
            ends.append(-(-_minutes(period.ends) // SLOT_MINUTES))
        for placed in column.visits:
            first, end = _visit_slots(column, placed)
            firsts.append(first)
            ends.append(end)
    if not firsts:
        return 0, 0
    return min(firsts), max(ends)


def _slot_kind(column: Column, slot: int, now: datetime.datetime) -> str:
    starts, ends = slot * SLOT_MINUTES, (slot + 1) * SLOT_MINUTES

    def within(periods):
        return any(_minutes(p.starts) <= starts and ends <= _minutes(p.ends) for p in periods)

    if within(column.working):
        moment = datetime.datetime.combine(column.day, _time(slot))
        return "free" if moment > now else "past"
    return "off" if within(column.clinic) else "closed"


def lay_out(columns: list[Column], now: datetime.datetime) -> list[Row]:
    """The table's rows, and each column's agenda. `now` is clinic-local (naive):
    a slot that has begun is not offered."""
    first, end = _row_range(columns)
    rows = [Row(time=_time(slot), cells=[]) for slot in range(first, end)]
    for column in columns:
        clusters = {start: (stop, visits) for start, stop, visits in _clusters(column)}
        column.agenda = []
        if column.closed_all_day and not clusters:
            if rows:
                rows[0].cells.append(Cell(column, "closed_day", rows[0].time, rowspan=len(rows)))
            continue
        covered_until = first
        free_from = None
        for slot in range(first, end):
            row = rows[slot - first]
            if slot in clusters:
                kind = "visits"
            elif slot >= covered_until:
                kind = _slot_kind(column, slot, now)
            else:
                kind = None  # under a visit's cell
            if kind == "free":
                free_from = row.time if free_from is None else free_from
            elif free_from is not None:
                column.agenda.append(AgendaItem("free", free_from, row.time))
                free_from = None
            if kind == "visits":
                stop, visits = clusters[slot]
                row.cells.append(Cell(column, kind, row.time, stop - slot, visits))
                column.agenda += [AgendaItem("visit", row.time, appointment=v) for v in visits]
                covered_until = stop
            elif kind is not None:
                row.cells.append(Cell(column, kind, row.time))
        if free_from is not None:
            column.agenda.append(AgendaItem("free", free_from, _time(end)))
    return rows
