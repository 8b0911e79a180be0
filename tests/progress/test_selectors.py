"""The progress figures of one patient, from known histories (docs/clinical-rules.md
sections 1 and 6)."""

import datetime
from fractions import Fraction

import pytest
from django.utils import timezone

from checkins.models import CheckIn
from progress.selectors import improvement_threshold, patient_progress
from sessions.models import AdverseEvent
from tests.factories import IntakeFactory, PatientFactory, make_plan, sign_history

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def moment(day: datetime.date, hour: int = 18) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def intake_for(patient, *, day, **answers):
    return IntakeFactory(patient=patient, submitted=True, submitted_at=moment(day, 9), **answers)


def check_in(patient, *, day, **answers):
    """An answered check-in: the intake's activities, re-rated."""
    return CheckIn.objects.create(
        patient=patient,
        reason=CheckIn.Reason.ON_DEMAND,
        expires_at=moment(day) + CheckIn.VALID_FOR,
        created_at=moment(day, 8),
        submitted_at=moment(day),
        psfs_activity_1="Turning my head to drive",
        **answers,
    )


def history(patient, user, scores, *, weeks_ago=None, **plan_details):
    """An intake before the first session, a plan, and one signed session a week per score."""
    start = days_ago(7 * (weeks_ago or len(scores)))
    intake_for(patient, day=start - datetime.timedelta(days=3), pain_now=scores[0] + 1)
    make_plan(patient, user=user, **plan_details)
    return sign_history(patient, user=user, scores=scores, start=start)


def test_a_patient_with_nothing_recorded_has_no_figures(patient):
    progress = patient_progress(patient)

    assert progress.baseline is None
    assert progress.current is None
    assert progress.change.points is None
    assert progress.sessions == ()
    assert progress.plan is None
    assert progress.first_session is None
    assert not progress.psfs.known


def test_the_intake_alone_gives_the_baseline_and_nothing_current(patient):
    intake_for(patient, day=days_ago(2), pain_now=7)

    progress = patient_progress(patient)

    assert (progress.baseline, progress.current) == (7, None)
    assert progress.baseline_source_label == "the intake's pain now"
    assert progress.session_count == 0


def test_one_session_is_compared_with_the_intake_before_it(patient, acupuncturist):
    history(patient, acupuncturist, [6])

    progress = patient_progress(patient)

    assert (progress.baseline, progress.current) == (7, 6)
    assert (progress.change.points, progress.change.percent) == (1, 14)
    assert not progress.change.important
    assert progress.session_count == 1
    assert progress.first_session == progress.last_session == days_ago(7)


def test_a_course_that_worked_is_important_and_substantial(patient, acupuncturist):
    sessions = history(patient, acupuncturist, [6, 5, 4, 4, 3, 3], months_with_pain=10)

    progress = patient_progress(patient)

    assert (progress.baseline, progress.current, progress.current_source) == (7, 3, "session")
    assert (progress.change.points, progress.change.percent) == (4, 57)
    assert progress.change.important and progress.change.substantial
    assert progress.threshold == 4  # 7 - max(2, ceil(2.1)): 5 would be only 29%
    assert progress.session_count == 6
    assert progress.course_estimate == 10
    assert progress.plan.session_count == 6
    assert [row.pain_before for row in progress.sessions] == [6, 5, 4, 4, 3, 3]
    assert [row.pain_after for row in progress.sessions] == [4, 3, 2, 2, 1, 1]
    assert progress.sessions[-1].code == str(sessions[-1].code)
    assert all(row.in_plan for row in progress.sessions)
    assert progress.plan.cadence == progress.outcome.cadence
    assert progress.plan.reason


def test_a_baseline_below_2_can_never_be_an_important_improvement(patient, acupuncturist):
    intake_for(patient, day=days_ago(30), pain_now=1)
    make_plan(patient, user=acupuncturist)
    sign_history(patient, user=acupuncturist, scores=[1, 0, 0], start=days_ago(21))

    progress = patient_progress(patient)

    assert (progress.baseline, progress.current) == (1, 0)
    assert progress.change.percent == 100
    assert not progress.change.important
    assert progress.threshold is None
    assert "baseline_low" in dict(progress.flags)


def test_a_flare_is_judged_on_the_latest_score_not_the_best(patient, acupuncturist):
    history(patient, acupuncturist, [7, 5, 3, 7])  # baseline 8

    progress = patient_progress(patient)

    assert (progress.baseline, progress.current, progress.best) == (8, 7, 3)
    assert progress.change.points == 1
    assert not progress.change.important


def test_six_sessions_without_improvement_raise_the_non_response_flag(patient, acupuncturist):
    history(patient, acupuncturist, [7, 7, 6, 7, 7, 6])

    progress = patient_progress(patient)

    assert "non_response" in dict(progress.flags)


def test_a_check_in_answered_after_the_last_session_is_the_current_pain(patient, acupuncturist):
    history(patient, acupuncturist, [6, 5], weeks_ago=3)  # sessions 21 and 14 days ago
    check_in(patient, day=days_ago(2), pain_now=3, pgic=2)

    progress = patient_progress(patient)

    assert (progress.current, progress.current_source) == (3, "check-in")
    assert progress.current_date == days_ago(2)
    assert progress.change.points == 4
    assert progress.pgic.label == "Much improved"
    assert progress.pgic.responder


def test_a_check_in_on_the_day_of_a_session_gives_way_to_the_session(patient, acupuncturist):
    history(patient, acupuncturist, [6, 5], weeks_ago=2)  # sessions 14 and 7 days ago
    check_in(patient, day=days_ago(7), pain_now=2)
    check_in(patient, day=days_ago(10), pain_now=1)

    progress = patient_progress(patient)

    assert (progress.current, progress.current_source) == (5, "session")
    assert len(progress.check_ins) == 2
    assert [c.date for c in progress.check_ins] == [days_ago(10), days_ago(7)]


def test_unanswered_check_ins_are_not_progress(patient, acupuncturist):
    history(patient, acupuncturist, [6])
    CheckIn.objects.create(
        patient=patient,
        reason=CheckIn.Reason.ON_DEMAND,
        expires_at=timezone.now() + CheckIn.VALID_FOR,
    )

    progress = patient_progress(patient)

    assert progress.check_ins == ()
    assert progress.pgic is None
    assert progress.psfs.now_mean is None


def test_medication_use_that_rose_is_shown_as_a_rise(patient, acupuncturist):
    start = days_ago(21)
    intake_for(patient, day=start, pain_now=6, pain_medication_doses=4, headache_days=10)
    make_plan(patient, user=acupuncturist)
    sessions = sign_history(patient, user=acupuncturist, scores=[6, 6, 5], start=start)
    for session, doses in zip(sessions, (5, 8, 10), strict=True):
        session.pain_medication_doses = doses
        session.save(update_fields=["pain_medication_doses"])
    check_in(patient, day=days_ago(10), pain_now=5, pain_medication_doses=2, headache_days=6)

    progress = patient_progress(patient)

    assert progress.doses.then.value == 4
    assert (progress.doses.now.value, progress.doses.now.source) == (10, "session")
    assert progress.doses.change == 6
    # Headache days: the check-in is newer than any session that asked.
    assert (progress.headache_days.then.value, progress.headache_days.now.value) == (10, 6)
    assert progress.headache_days.now.source == "check-in"


def test_the_psfs_is_compared_activity_by_activity_in_the_patients_words(patient, acupuncturist):
    intake_for(
        patient,
        day=days_ago(40),
        psfs_activity_1="Turning my head to drive",
        psfs_score_1=3,
        psfs_activity_2="Carrying shopping",
        psfs_score_2=4,
    )
    make_plan(patient, user=acupuncturist)
    sign_history(patient, user=acupuncturist, scores=[6, 5], start=days_ago(30))
    check_in(
        patient,
        day=days_ago(3),
        psfs_activity_2="Carrying shopping",
        psfs_score_1=6,
        psfs_score_2=6,
    )

    psfs = patient_progress(patient).psfs

    assert [(i.activity, i.then, i.now) for i in psfs.items] == [
        ("Turning my head to drive", 3, 6),
        ("Carrying shopping", 4, 6),
    ]
    assert (psfs.then_mean, psfs.now_mean) == (Fraction(7, 2), Fraction(6))
    assert psfs.change == Fraction(5, 2)
    assert psfs.important


def test_activities_of_a_later_intake_are_not_compared_with_the_first_intakes(
    patient, acupuncturist
):
    intake_for(patient, day=days_ago(40), psfs_activity_1="Driving", psfs_score_1=2)
    make_plan(patient, user=acupuncturist)
    sign_history(patient, user=acupuncturist, scores=[6, 5], start=days_ago(30))
    # A second intake names another activity; the check-in copies it.
    intake_for(patient, day=days_ago(10), psfs_activity_1="Gardening", psfs_score_1=3)
    CheckIn.objects.create(
        patient=patient,
        reason=CheckIn.Reason.ON_DEMAND,
        expires_at=moment(days_ago(3)) + CheckIn.VALID_FOR,
        created_at=moment(days_ago(3), 8),
        submitted_at=moment(days_ago(3)),
        psfs_activity_1="  gardening ",
        psfs_score_1=9,
    )

    psfs = patient_progress(patient).psfs

    assert [(i.activity, i.then, i.now) for i in psfs.items] == [
        ("Driving", 2, None),
        ("  gardening ", None, 9),
    ]
    assert (psfs.then_mean, psfs.now_mean, psfs.change) == (None, None, None)
    assert not psfs.important


def test_a_psfs_rise_below_2_points_is_not_important(patient, acupuncturist):
    history(patient, acupuncturist, [6])  # the intake rates driving 4
    check_in(patient, day=days_ago(1), psfs_score_1=5)

    psfs = patient_progress(patient).psfs

    assert psfs.change == 1
    assert not psfs.important


def test_adverse_events_are_listed_with_their_session_date(patient, acupuncturist):
    sessions = history(patient, acupuncturist, [6, 5, 4])
    AdverseEvent.objects.create(
        session=sessions[1], kind="bruising", severity="mild", causality="probable"
    )
    AdverseEvent.objects.create(
        session=sessions[2], kind="dizziness", severity="moderate", causality="possible"
    )

    progress = patient_progress(patient)

    assert [(e.date, e.kind_label, e.severity_label) for e in progress.adverse_events] == [
        (sessions[1].date, "Bruising / haematoma", "Mild"),
        (sessions[2].date, "Dizziness / fainting", "Moderate"),
    ]
    assert [row.adverse_events for row in progress.sessions] == [0, 1, 1]


def test_the_plan_shows_its_home_care_referrals_and_review_date(patient, acupuncturist):
    history(
        patient,
        acupuncturist,
        [6],
        advice=["exercise", "sleep"],
        review_date=TODAY,
    )

    plan = patient_progress(patient).plan

    assert plan.home_care == ("Daily gentle exercise or stretches", "Sleep routine and pillow")
    assert plan.review_date == TODAY
    assert plan.review_due
    assert plan.is_active


@pytest.mark.parametrize(
    ("baseline", "threshold"),
    [(10, 7), (8, 5), (7, 4), (6, 4), (5, 3), (3, 1), (2, 0), (1, None), (0, None), (None, None)],
)
def test_the_improvement_threshold_is_both_2_points_and_30_percent_below(baseline, threshold):
    assert improvement_threshold(baseline) == threshold


def _patient_with_sessions(user, count):
    patient = PatientFactory()
    history(patient, user, [7 - (n % 4) for n in range(count)])
    check_in(patient, day=days_ago(1), pain_now=3, pgic=2)
    check_in(patient, day=days_ago(2), pain_now=4, pgic=3)
    return patient


@pytest.mark.parametrize("count", [3, 30])
def test_the_query_count_does_not_grow_with_the_history(
    acupuncturist, django_assert_num_queries, count
):
    patient = _patient_with_sessions(acupuncturist, count)
    with django_assert_num_queries(7):
        progress = patient_progress(patient)
    assert progress.session_count == count


@pytest.mark.parametrize(
    ("baseline", "current", "words", "verdict"),
    [
        (7, 3, "−4 points, −57%", "clinically important and substantial improvement"),
        (8, 5, "−3 points, −38%", "clinically important improvement"),
        (8, 7, "−1 point, −13%", "improved, not yet clinically important"),
        (5, 5, "no change", "no improvement"),
        (4, 6, "+2 points, +50%", "worse than at baseline"),
        (1, 0, "−1 point, −100%", "a baseline below 2 leaves no room"),
    ],
)
def test_the_change_in_pain_is_said_in_clinical_words(
    patient, acupuncturist, baseline, current, words, verdict
):
    intake_for(patient, day=days_ago(10), pain_now=baseline)
    make_plan(patient, user=acupuncturist)
    sign_history(patient, user=acupuncturist, scores=[current], start=days_ago(7))

    progress = patient_progress(patient)

    assert progress.change_words == words
    assert progress.verdict.startswith(verdict)
