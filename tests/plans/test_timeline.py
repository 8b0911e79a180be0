"""The plan page's timeline and the date axis the charts share: x is true time."""

import datetime
from types import SimpleNamespace

import pytest

from plans import cadence
from plans.timeline import WIDTH, DateAxis, cadence_periods, timeline

DAY = datetime.date(2025, 3, 3)  # a Monday


def days(n: int) -> datetime.date:
    return DAY + datetime.timedelta(days=n)


def replay(scores_on: dict[int, int], baseline: int = 8) -> cadence.Outcome:
    visits = [cadence.Visit(f"s{n}", days(n), score) for n, score in scores_on.items()]
    return cadence.replay(baseline=baseline, visits=visits)


def test_a_gap_of_two_weeks_is_twice_as_wide_as_a_gap_of_one():
    axis = DateAxis.around([days(0), days(7), days(21)], left=0, right=300)

    one, two = axis.x(days(7)) - axis.x(days(0)), axis.x(days(21)) - axis.x(days(7))

    assert two == 2 * one


def test_the_timeline_places_sessions_by_date_not_by_number():
    outcome = replay({0: 7, 7: 6, 21: 5, 49: 5})

    chart = timeline(outcome)

    xs = [mark.x for mark in chart["before"]]
    gaps = [round(b - a, 1) for a, b in zip(xs, xs[1:], strict=False)]
    assert gaps[1] == pytest.approx(2 * gaps[0], abs=0.2)
    assert gaps[2] == pytest.approx(4 * gaps[0], abs=0.2)


def test_the_timeline_draws_pain_before_and_after_each_session():
    outcome = replay({0: 7, 7: 6})
    sessions = [SimpleNamespace(code="s0", pain_after=4), SimpleNamespace(code="s7", pain_after=2)]

    chart = timeline(outcome, sessions)

    assert [m.label for m in chart["before"]] == [
        "3 Mar 2025: pain before 7/10",
        "10 Mar 2025: pain before 6/10",
    ]
    assert [m.label for m in chart["after"]] == [
        "3 Mar 2025: pain after 4/10",
        "10 Mar 2025: pain after 2/10",
    ]
    # Lower pain is drawn lower: pain after sits below pain before.
    assert all(a.y > b.y for a, b in zip(chart["after"], chart["before"], strict=True))


def test_the_newest_session_is_inside_the_drawing():
    outcome = replay({n * 7: 6 for n in range(40)})

    chart = timeline(outcome)

    assert 0 < chart["before"][-1].x <= WIDTH
    assert chart["before"][-1].label.startswith(f"{days(39 * 7).day} ")


def test_a_long_plan_shows_its_last_months_unless_asked_for_the_whole():
    outcome = replay({n * 14: 6 for n in range(26)})  # a year, fortnightly

    recent = timeline(outcome)
    whole = timeline(outcome, whole=True)

    assert recent["cut"]
    assert len(recent["before"]) < 26
    assert not whole["cut"]
    assert len(whole["before"]) == 26


def test_the_cadence_shows_as_bands_over_the_dates_it_was_in_force():
    # The worked example of docs/cadence-policy.md: taper at session 4, again at 6,
    # flare at 7.
    outcome = replay({0: 7, 7: 6, 14: 5, 21: 5, 35: 4, 49: 4, 77: 5})

    periods = cadence_periods(outcome, days(0))

    assert periods == [
        (days(0), days(21), "weekly"),
        (days(21), days(49), "fortnightly"),
        (days(49), days(77), "monthly"),
        (days(77), None, "fortnightly"),
    ]
    bands = timeline(outcome)["bands"]
    assert [b.rung for b in bands] == ["weekly", "fortnightly", "monthly", "fortnightly"]
    # Each band is as wide as the days it lasted.
    assert bands[1].width == pytest.approx(bands[2].width, abs=0.2)


def test_month_ticks_on_a_long_axis_and_mondays_on_a_short_one():
    short = DateAxis.around([days(0), days(20)], left=0, right=300)
    long = DateAxis.around([days(0), days(150)], left=0, right=300)

    assert all(t.label.endswith(" Mar") or t.label.endswith(" Feb") for t in short.ticks())
    assert [t.label for t in long.ticks()][:2] == ["Mar 2025", "May"]
    assert len(long.ticks()) <= 6


def test_a_lone_session_sits_inside_a_few_weeks():
    chart = timeline(replay({0: 6}))

    assert chart["left"] < chart["before"][0].x < chart["right"]


def test_no_sessions_no_timeline():
    assert timeline(replay({})) is None
