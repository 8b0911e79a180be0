"""The progress charts: SVG coordinates on a true date axis, from known histories."""

import datetime

import pytest

from progress.charts import progress_charts, sparkline
from progress.selectors import patient_progress
from sessions.models import TreatmentSession
from tests.factories import make_plan, sign_history
from tests.progress.test_selectors import check_in, days_ago, history, intake_for

pytestmark = pytest.mark.django_db


def signed_on(patient, user, offsets_and_scores, *, baseline=8):
    """Sessions on the given days ago, each with its pain before."""
    first = max(offset for offset, _score in offsets_and_scores)
    intake_for(patient, day=days_ago(first + 3), pain_now=baseline, pain_medication_doses=9)
    make_plan(patient, user=user)
    sessions = []
    for offset, score in offsets_and_scores:
        sessions += sign_history(patient, user=user, scores=[score], start=days_ago(offset))
    return sessions


def test_x_positions_are_proportional_to_the_days_between_sessions(patient, acupuncturist):
    signed_on(patient, acupuncturist, [(35, 7), (28, 6), (14, 5)])

    pain = progress_charts(patient_progress(patient))["pain"]

    x = [mark.x for mark in pain["before"]]
    assert (x[2] - x[1]) == pytest.approx(2 * (x[1] - x[0]), abs=0.2)


def test_pain_before_after_and_check_ins_are_three_series(patient, acupuncturist):
    signed_on(patient, acupuncturist, [(21, 7), (14, 6)])
    check_in(patient, day=days_ago(7), pain_now=4)

    pain = progress_charts(patient_progress(patient))["pain"]

    assert [m.label for m in pain["before"]][0].endswith("pain before 7/10")
    assert [m.label for m in pain["after"]][0].endswith("pain after 5/10")
    (mark,) = pain["check_ins"]
    assert mark.label.endswith("check-in, pain now 4/10")
    assert mark.path.startswith(f"M{mark.x},")
    # A week after the second session, as far on as the second is after the first.
    assert mark.x - pain["before"][1].x == pytest.approx(
        pain["before"][1].x - pain["before"][0].x, abs=0.2
    )
    assert [row.source for row in pain["rows"]] == ["session", "session", "check-in"]


def test_the_baseline_and_threshold_lines_sit_at_their_pain(patient, acupuncturist):
    signed_on(patient, acupuncturist, [(14, 7), (7, 6)], baseline=8)

    pain = progress_charts(patient_progress(patient))["pain"]

    assert (pain["baseline"], pain["threshold"]) == (8, 5)
    ticks = {mark.label: mark.y for mark in pain["pain_ticks"]}
    assert pain["baseline_y"] == ticks["8"]
    assert pain["threshold_y"] == pytest.approx((ticks["4"] + ticks["6"]) / 2, abs=0.1)


def test_a_baseline_below_2_draws_no_threshold(patient, acupuncturist):
    signed_on(patient, acupuncturist, [(14, 1), (7, 1)], baseline=1)

    pain = progress_charts(patient_progress(patient))["pain"]

    assert pain["threshold_y"] is None


def test_the_plans_cadence_shows_as_bands(patient, acupuncturist):
    # Baseline 8: 5 and 5 taper to fortnightly at the fourth session.
    signed_on(patient, acupuncturist, [(42, 7), (35, 6), (28, 5), (21, 5), (7, 5)])

    bands = progress_charts(patient_progress(patient))["pain"]["bands"]

    assert [b.rung for b in bands] == ["weekly", "fortnightly"]
    assert bands[0].x + bands[0].width == pytest.approx(bands[1].x, abs=0.2)


def test_no_sessions_and_no_check_ins_draw_no_chart(patient):
    intake_for(patient, day=days_ago(3), pain_now=6)

    charts = progress_charts(patient_progress(patient))

    assert charts["pain"] is None
    assert charts["doses"] is None
    assert charts["psfs"] is None


def test_a_measure_needs_two_answers_to_be_charted(patient, acupuncturist):
    sessions = signed_on(patient, acupuncturist, [(14, 7), (7, 6)])
    TreatmentSession.objects.filter(pk__in=[s.pk for s in sessions]).update(
        pain_medication_doses=None
    )
    # The intake's doses are the only answer: one point draws no chart.
    assert progress_charts(patient_progress(patient))["doses"] is None

    TreatmentSession.objects.filter(pk=sessions[0].pk).update(pain_medication_doses=12)
    doses = progress_charts(patient_progress(patient))["doses"]

    assert [p.shape for p in doses["points"]] == ["intake", "session"]
    assert [t.label for t in doses["value_ticks"]] == ["0", "7", "14"]


def test_every_chart_shares_one_date_axis(patient, acupuncturist):
    sessions = signed_on(patient, acupuncturist, [(21, 7), (14, 6)])
    for session, doses in zip(sessions, (8, 5), strict=True):
        TreatmentSession.objects.filter(pk=session.pk).update(pain_medication_doses=doses)

    charts = progress_charts(patient_progress(patient))

    session_x = [m.x for m in charts["pain"]["before"]]
    assert [p.x for p in charts["doses"]["points"] if p.shape == "session"] == session_x


def test_a_long_history_keeps_its_last_months_and_the_newest_visit(patient, acupuncturist):
    start = days_ago(400)
    intake_for(patient, day=start - datetime.timedelta(days=1), pain_now=8)
    make_plan(patient, user=acupuncturist)
    sign_history(patient, user=acupuncturist, scores=[6] * 15, start=start, step_days=28)
    progress = patient_progress(patient)

    recent = progress_charts(progress)
    whole = progress_charts(progress, whole=True)

    assert recent["axis"].cut and not whole["axis"].cut
    assert len(whole["pain"]["before"]) == 15
    assert 5 <= len(recent["pain"]["before"]) <= 8
    newest = recent["pain"]["before"][-1]
    assert recent["pain"]["left"] < newest.x <= recent["pain"]["right"]
    assert len(recent["pain"]["rows"]) == 15  # the table keeps the whole history


def test_the_sparkline_is_on_a_date_axis_too():
    day = datetime.date(2025, 1, 6)
    spark = sparkline([(day, 8), (day + datetime.timedelta(days=7), 6), (day.replace(day=27), 4)])

    xs = [float(pair.split(",")[0]) for pair in spark["line"].split()]
    assert xs[2] - xs[1] == pytest.approx(2 * (xs[1] - xs[0]), abs=0.2)
    assert (spark["first_score"], spark["last_score"]) == (8, 4)
    assert sparkline([(day, 8)]) is None


def test_the_history_of_the_demo_kind_draws_every_chart(patient, acupuncturist):
    history(patient, acupuncturist, [6, 5, 4])
    check_in(patient, day=days_ago(1), pain_now=3, psfs_score_1=7, headache_days=2)
    check_in(patient, day=days_ago(9), pain_now=4, psfs_score_1=6, headache_days=4)

    charts = progress_charts(patient_progress(patient))

    assert charts["pain"] and charts["psfs"] and charts["headache_days"]
    assert [p.shape for p in charts["psfs"]["points"]] == ["intake", "check-in", "check-in"]
