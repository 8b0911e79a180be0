"""The schedule's layout (scheduling.grid), without the database: rows, cells that
span a visit's rows, free and past times, and each column's list for a phone."""

import datetime
from types import SimpleNamespace

from scheduling.grid import Column, Placed, lay_out
from scheduling.hours import Closure, Period

T = datetime.time
DAY = datetime.date(2031, 3, 5)
NINE_TO_FIVE = (Period(T(9), T(17)),)
BEFORE_OPENING = datetime.datetime.combine(DAY, T(7))


def _column(name="Mei", working=NINE_TO_FIVE, clinic=NINE_TO_FIVE, visits=(), **more):
    column = Column(
        heading=name,
        day=DAY,
        practitioner=SimpleNamespace(pk=1),
        working=working,
        clinic=clinic,
        **more,
    )
    for code, (hour, minute), length in visits:
        starts = datetime.datetime.combine(DAY, T(hour, minute))
        column.visits.append(
            Placed(starts, starts + datetime.timedelta(minutes=length), SimpleNamespace(code=code))
        )
    return column


def _kinds(rows, column=None):
    """Each row's time and what a column (the first, unless given) shows there; ''
    under a visit's cell."""
    column = column or rows[0].cells[0].column
    shown = {}
    for row in rows:
        cells = [cell for cell in row.cells if cell.column is column]
        shown[f"{row.time:%H:%M}"] = cells[0].kind if cells else ""
    return shown


def test_rows_are_the_quarter_hours_of_the_opening_hours():
    rows = lay_out([_column()], BEFORE_OPENING)
    assert [f"{row.time:%H:%M}" for row in rows][:3] == ["09:00", "09:15", "09:30"]
    assert f"{rows[-1].time:%H:%M}" == "16:45"
    assert len(rows) == 32


def test_a_visit_spans_its_rows_and_the_rows_under_it_have_no_cell():
    column = _column(visits=[("a", (10, 0), 45)])
    rows = lay_out([column], BEFORE_OPENING)
    kinds = _kinds(rows)
    assert kinds["09:45"] == "free"
    assert kinds["10:00"] == "visits"
    assert kinds["10:15"] == kinds["10:30"] == ""
    assert kinds["10:45"] == "free"
    cell = next(c for row in rows for c in row.cells if c.kind == "visits")
    assert cell.rowspan == 3
    assert [v.code for v in cell.visits] == ["a"]


def test_a_visit_off_the_quarter_hours_covers_every_row_it_touches():
    rows = lay_out([_column(visits=[("a", (10, 5), 45)])], BEFORE_OPENING)
    cell = next(c for row in rows for c in row.cells if c.kind == "visits")
    assert (f"{cell.time:%H:%M}", cell.rowspan) == ("10:00", 4)


def test_overlapping_visits_share_one_cell():
    column = _column(visits=[("missed", (10, 0), 45), ("walk-in", (10, 15), 30)])
    rows = lay_out([column], BEFORE_OPENING)
    cells = [c for row in rows for c in row.cells if c.kind == "visits"]
    assert len(cells) == 1
    assert [v.code for v in cells[0].visits] == ["missed", "walk-in"]
    assert cells[0].rowspan == 3


def test_times_that_have_begun_are_past_not_free():
    now = datetime.datetime.combine(DAY, T(10, 7))
    kinds = _kinds(lay_out([_column()], now))
    assert kinds["09:45"] == kinds["10:00"] == "past"
    assert kinds["10:15"] == "free"


def test_hours_the_practitioner_does_not_work_and_the_lunch_break_are_marked():
    clinic = (Period(T(9), T(12, 30)), Period(T(13, 30), T(17)))
    column = _column(working=(Period(T(9), T(11)),), clinic=clinic)
    kinds = _kinds(lay_out([column], BEFORE_OPENING))
    assert kinds["10:45"] == "free"
    assert kinds["11:00"] == "off"
    assert kinds["12:30"] == "closed"
    assert kinds["13:30"] == "off"


def test_a_visit_outside_the_hours_adds_rows_so_it_is_shown():
    rows = lay_out([_column(visits=[("early", (8, 0), 30)])], BEFORE_OPENING)
    kinds = _kinds(rows)
    assert f"{rows[0].time:%H:%M}" == "08:00"
    assert kinds["08:00"] == "visits"
    assert kinds["08:30"] == "closed"


def test_a_closed_day_is_one_cell_over_every_row():
    closed = _column(name="Tue", working=(), clinic=(), closure=Closure(DAY, DAY, "Holiday"))
    rows = lay_out([_column(), closed], BEFORE_OPENING)
    cells = [c for row in rows for c in row.cells if c.column is closed]
    assert len(cells) == 1
    assert (cells[0].kind, cells[0].rowspan) == ("closed_day", 32)
    assert closed.agenda == []


def test_a_day_with_no_hours_and_no_visits_has_no_rows():
    assert lay_out([_column(working=(), clinic=())], BEFORE_OPENING) == []


def test_the_phone_list_gives_visits_and_free_stretches_in_order():
    now = datetime.datetime.combine(DAY, T(9, 20))
    column = _column(
        working=(Period(T(9), T(12)),),
        visits=[("a", (10, 0), 45), ("b", (10, 45), 30)],
    )
    lay_out([column], now)
    assert [
        (item.kind, f"{item.starts:%H:%M}", item.ends and f"{item.ends:%H:%M}")
        for item in column.agenda
    ] == [
        ("free", "09:30", "10:00"),
        ("visit", "10:00", None),
        ("visit", "10:45", None),
        ("free", "11:15", "12:00"),
    ]
