"""The progress page's charts (and the report's): SVG coordinates on a true date
axis, worked out from a Progress, drawn by templates/progress/includes/ with SVG
attributes only (the Content-Security-Policy allows no inline style or script).

All the charts of a page share one date axis, so a date sits at the same x in each.
The axis keeps the last WINDOW_DAYS unless the whole history is asked for.
"""

import datetime
from dataclasses import dataclass

from plans.timeline import WIDTH, WINDOW_DAYS, DateAxis, Mark, cadence_periods, day_words, pain_y
from progress.selectors import Progress, recent_pain

LEFT, RIGHT = 24, 8
PAIN_HEIGHT, PAIN_TOP, PAIN_BOTTOM = 230, 20, 26
SMALL_HEIGHT, SMALL_TOP, SMALL_BOTTOM = 120, 10, 26


def _diamond(x: float, y: float, r: float = 5) -> str:
    top, right, foot, left = round(y - r, 1), round(x + r, 1), round(y + r, 1), round(x - r, 1)
    return f"M{x},{top} L{right},{y} L{x},{foot} L{left},{y} Z"


def _square(x: float, y: float, r: float = 4) -> str:
    return f"M{round(x - r, 1)},{round(y - r, 1)} h{2 * r} v{2 * r} h{-2 * r} Z"


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    shape: str  # "before", "after", "check-in", "intake"
    path: str = ""  # the marker's outline, for shapes drawn as paths


@dataclass(frozen=True)
class PainRow:
    date: datetime.date
    source: str
    before: int | None
    after: int | None
    now: int | None


def _line(points) -> str:
    return " ".join(f"{p.x},{p.y}" for p in points)


def chart_axis(progress: Progress, *, whole: bool = False) -> DateAxis | None:
    """One axis for every chart of the page: the sessions, the check-ins and the
    intake that "then" refers to."""
    dates = [row.date for row in progress.sessions] + [row.date for row in progress.check_ins]
    if not dates:
        return None
    for reading in (progress.doses.then, progress.headache_days.then):
        if reading is not None:
            dates.append(reading.date)
    if progress.psfs.then_date is not None and progress.psfs.then_mean is not None:
        dates.append(progress.psfs.then_date)
    return DateAxis.around(
        dates, left=LEFT, right=WIDTH - RIGHT, window_days=None if whole else WINDOW_DAYS
    )


def _frame(axis: DateAxis, height: int, top: int, bottom_margin: int) -> dict:
    bottom = height - bottom_margin
    return {
        "width": WIDTH,
        "height": height,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": top,
        "bottom": bottom,
        "band_height": bottom - top,
        "tick_label_y": bottom + 17,
        "date_ticks": axis.ticks(),
        "cut": axis.cut,
        "first_shown": axis.start,
    }


def pain_chart(progress: Progress, axis: DateAxis | None) -> dict | None:
    """Pain before and after each session, each check-in's pain now, the baseline,
    the improvement threshold and the plan's cadence as bands. None with no pain
    recorded since the intake."""
    check_ins = [c for c in progress.check_ins if c.pain_now is not None]
    if axis is None or not (progress.sessions or check_ins):
        return None
    frame = _frame(axis, PAIN_HEIGHT, PAIN_TOP, PAIN_BOTTOM)

    def y(score):
        return pain_y(score, top=PAIN_TOP, bottom=frame["bottom"])

    sessions = [row for row in progress.sessions if axis.shows(row.date)]
    before = [
        Point(
            axis.x(r.date),
            y(r.pain_before),
            f"{day_words(r.date)}: pain before {r.pain_before}/10",
            "before",
        )
        for r in sessions
    ]
    after = [
        Point(
            axis.x(r.date),
            y(r.pain_after),
            f"{day_words(r.date)}: pain after {r.pain_after}/10",
            "after",
        )
        for r in sessions
        if r.pain_after is not None
    ]
    checks = []
    for c in check_ins:
        if axis.shows(c.date):
            x, yy = axis.x(c.date), y(c.pain_now)
            checks.append(
                Point(
                    x,
                    yy,
                    f"{day_words(c.date)}: check-in, pain now {c.pain_now}/10",
                    "check-in",
                    _diamond(x, yy),
                )
            )
    bands = []
    if progress.outcome is not None and progress.plan is not None:
        # From the plan's start, or its first session when that was back-dated.
        start = min([progress.plan.start_date] + [r.date for r in progress.sessions if r.in_plan])
        periods = cadence_periods(progress.outcome, start)
        if progress.plan.ended_on is not None:  # nothing was due after the plan ended
            periods[-1] = (*periods[-1][:1], progress.plan.ended_on, periods[-1][2])
        bands = axis.bands(periods)
    rows = sorted(
        [PainRow(r.date, "session", r.pain_before, r.pain_after, None) for r in progress.sessions]
        + [PainRow(c.date, "check-in", None, None, c.pain_now) for c in check_ins],
        key=lambda row: row.date,
    )
    baseline_y = y(progress.baseline) if progress.baseline is not None else None
    threshold_y = y(progress.threshold) if progress.threshold is not None else None
    return {
        **frame,
        "before": before,
        "before_line": _line(before),
        "after": after,
        "after_line": _line(after),
        "check_ins": checks,
        "bands": bands,
        "pain_ticks": [Mark(LEFT - 5, y(s), str(s)) for s in (0, 2, 4, 6, 8, 10)],
        "baseline": progress.baseline,
        "baseline_y": baseline_y,
        "baseline_label_y": round(baseline_y - 4, 1) if baseline_y is not None else None,
        "threshold": progress.threshold,
        "threshold_y": threshold_y,
        "threshold_label_y": round(threshold_y + 13, 1) if threshold_y is not None else None,
        "rows": rows,  # every session and check-in, for the table under the chart
    }


@dataclass(frozen=True)
class Value:
    date: datetime.date
    value: float
    source: str  # "intake", "session", "check-in"
    words: str  # the value as shown: "4", "3.5"


def _small_chart(
    axis: DateAxis | None, values: list[Value], *, top_value: int, unit: str
) -> dict | None:
    """One measure over time, 0 to `top_value`; None with fewer than 2 answers."""
    if axis is None or len(values) < 2:
        return None
    frame = _frame(axis, SMALL_HEIGHT, SMALL_TOP, SMALL_BOTTOM)
    span = frame["bottom"] - SMALL_TOP

    def y(value):
        return round(frame["bottom"] - min(value, top_value) * span / top_value, 1)

    points = []
    for v in sorted(values, key=lambda v: (v.date, v.source != "intake")):
        if not axis.shows(v.date):
            continue
        x, yy = axis.x(v.date), y(v.value)
        path = (
            _diamond(x, yy)
            if v.source == "check-in"
            else _square(x, yy)
            if v.source == "intake"
            else ""
        )
        points.append(
            Point(x, yy, f"{day_words(v.date)} ({v.source}): {v.words} {unit}", v.source, path)
        )
    return {
        **frame,
        "points": points,
        "line": _line(points),
        "value_ticks": [Mark(LEFT - 5, y(t), str(t)) for t in (0, top_value // 2, top_value)],
        "rows": sorted(values, key=lambda v: v.date),
        "unit": unit,
    }


def _nice_top(values) -> int:
    """The smallest round top (at least 10) above every value, with a whole half."""
    highest = max(values, default=0)
    return next((top for top in (10, 14, 20, 30, 40, 50, 70, 100, 140) if top >= highest), 200)


def doses_chart(progress: Progress, axis: DateAxis | None) -> dict | None:
    values = []
    if progress.doses.then is not None:
        then = progress.doses.then
        values.append(Value(then.date, then.value, "intake", str(then.value)))
    values += [
        Value(r.date, r.doses, "session", str(r.doses))
        for r in progress.sessions
        if r.doses is not None
    ]
    values += [
        Value(c.date, c.doses, "check-in", str(c.doses))
        for c in progress.check_ins
        if c.doses is not None
    ]
    return _small_chart(
        axis, values, top_value=_nice_top([v.value for v in values]), unit="doses in 7 days"
    )


def headache_chart(progress: Progress, axis: DateAxis | None) -> dict | None:
    values = []
    if progress.headache_days.then is not None:
        then = progress.headache_days.then
        values.append(Value(then.date, then.value, "intake", str(then.value)))
    values += [
        Value(r.date, r.headache_days, "session", str(r.headache_days))
        for r in progress.sessions
        if r.headache_days is not None
    ]
    values += [
        Value(c.date, c.headache_days, "check-in", str(c.headache_days))
        for c in progress.check_ins
        if c.headache_days is not None
    ]
    return _small_chart(axis, values, top_value=30, unit="headache days in 30")


def psfs_chart(progress: Progress, axis: DateAxis | None) -> dict | None:
    values = []
    psfs = progress.psfs
    if psfs.then_mean is not None:
        values.append(
            Value(psfs.then_date, float(psfs.then_mean), "intake", f"{float(psfs.then_mean):.1f}")
        )
    values += [
        Value(c.date, c.psfs_mean, "check-in", f"{c.psfs_mean:.1f}")
        for c in progress.check_ins
        if c.psfs_mean is not None
    ]
    return _small_chart(axis, values, top_value=10, unit="(PSFS mean, 10 is as before)")


def progress_charts(progress: Progress, *, whole: bool = False) -> dict:
    """Every chart of the progress page; a chart is None when there is too little to draw."""
    axis = chart_axis(progress, whole=whole)
    return {
        "axis": axis,
        "pain": pain_chart(progress, axis),
        "doses": doses_chart(progress, axis),
        "headache_days": headache_chart(progress, axis),
        "psfs": psfs_chart(progress, axis),
    }


SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120, 32, 3


def sparkline(points: list[tuple[datetime.date, int]]) -> dict | None:
    """A small line of pain before treatment, `points` (date, score) oldest first, on
    a date axis; None with fewer than 2."""
    if len(points) < 2:
        return None
    axis = DateAxis(
        start=points[0][0],
        end=max(points[-1][0], points[0][0] + datetime.timedelta(days=1)),
        left=SPARK_PAD,
        right=SPARK_WIDTH - SPARK_PAD,
        cut=False,
    )
    marks = [
        Mark(axis.x(day), pain_y(score, top=SPARK_PAD, bottom=SPARK_HEIGHT - SPARK_PAD), str(score))
        for day, score in points
    ]
    return {
        "width": SPARK_WIDTH,
        "height": SPARK_HEIGHT,
        "line": _line(marks),
        "last": marks[-1],
        "first_score": points[0][1],
        "last_score": points[-1][1],
        "first_date": points[0][0],
        "last_date": points[-1][0],
        "count": len(points),
    }


def patient_sparkline(patient) -> dict | None:
    """The chart page's sparkline of pain before treatment (one query)."""
    return sparkline(recent_pain(patient))
