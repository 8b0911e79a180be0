"""The improvement rules of docs/clinical-rules.md section 1, on known numbers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from progress.figures import PainChange


@pytest.mark.parametrize(
    ("baseline", "current", "points", "percent", "important", "substantial"),
    [
        (8, 5, 3, 38, True, False),  # the cadence worked example's fortnightly step
        (8, 4, 4, 50, True, True),
        (8, 6, 2, 25, False, False),  # 2 points but only 25%
        (3, 2, 1, 33, False, False),  # 33% but only 1 point
        (10, 7, 3, 30, True, False),  # exactly 30%
        (4, 2, 2, 50, True, True),  # exactly 2 points and 50%
        (1, 0, 1, 100, False, False),  # a baseline below 2 cannot drop 2 points
        (0, 0, 0, None, False, False),  # no pain at baseline: no percentage
        (5, 7, -2, -40, False, False),  # a flare
        (None, 5, None, None, False, False),  # no baseline yet
        (6, None, None, None, False, False),  # no session yet
    ],
)
def test_the_change_in_pain_is_judged_by_both_points_and_percent(
    baseline, current, points, percent, important, substantial
):
    change = PainChange(baseline, current)

    assert (change.points, change.percent) == (points, percent)
    assert (change.important, change.substantial) == (important, substantial)


@given(st.integers(0, 10), st.integers(0, 10))
def test_a_substantial_improvement_is_always_an_important_one(baseline, current):
    change = PainChange(baseline, current)

    assert not change.substantial or change.important
    assert change.important == (
        baseline > 0 and baseline - current >= 2 and 10 * (baseline - current) >= 3 * baseline
    )


@pytest.mark.parametrize(
    ("baseline", "current", "percent"),
    [(8, 7, 13), (8, 9, -13), (3, 2, 33), (6, 5, 17), (10, 0, 100), (2, 10, -400)],
)
def test_the_percentage_rounds_half_away_from_zero(baseline, current, percent):
    assert PainChange(baseline, current).percent == percent


def test_a_rise_in_pain_is_never_an_improvement():
    change = PainChange(4, 8)

    assert (change.points, change.percent) == (-4, -100)
    assert not change.important and not change.substantial
