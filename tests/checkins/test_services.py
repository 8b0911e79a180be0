"""Making, linking, stopping and answering check-ins, through the services themselves."""

import datetime
import hashlib

import pytest
from django.utils import timezone

from checkins.models import CheckIn
from checkins.selectors import answered_for, chart_check_ins, last_answered, open_check_in
from checkins.services import (
    CheckInClosed,
    CheckInRefused,
    InvalidAnswers,
    checkin_create,
    checkin_for_token,
    checkin_link,
    checkin_revoke,
    checkin_send,
    checkin_submit,
    make_message_link,
)
from intake.services import patient_archive
from tests.factories import IntakeFactory, PatientFactory, make_check_in
from tests.payloads import treated_patient

pytestmark = pytest.mark.django_db

ON_DEMAND = CheckIn.Reason.ON_DEMAND
SESSIONS = CheckIn.Reason.SESSIONS
REVIEW = CheckIn.Reason.REVIEW_DATE

ANSWERS = {
    "pain_now": 3,
    "pain_worst": 6,
    "psfs_score_1": 7,
    "pain_medication_doses": 4,
    "headache_days": 5,
    "pgic": 2,
}


@pytest.fixture
def migraine(front_desk):
    """A patient whose submitted intake names migraine and one activity."""
    return treated_patient()


# --- Making one -----------------------------------------------------------------------


def test_a_check_in_asks_about_the_activities_the_patient_named_in_their_last_intake(
    front_desk,
):
    patient = PatientFactory()
    IntakeFactory(patient=patient, submitted=True, psfs_activity_1="Gardening")
    IntakeFactory(
        patient=patient,
        submitted=True,
        psfs_activity_1="Lifting my grandson",
        psfs_activity_2="",
        psfs_activity_3="Sleeping on my side",
    )
    IntakeFactory(patient=patient, psfs_activity_1="A draft, not submitted")

    check_in = checkin_create(patient, by=front_desk, reason=ON_DEMAND)

    assert [check_in.psfs_activity_1, check_in.psfs_activity_2, check_in.psfs_activity_3] == [
        "Lifting my grandson",
        "",
        "Sleeping on my side",
    ]
    assert check_in.psfs_pairs() == [("Lifting my grandson", None), ("Sleeping on my side", None)]
    assert check_in.created_by == front_desk
    assert check_in.expires_at - check_in.created_at == datetime.timedelta(days=7)
    assert check_in.token_hash is None, "no link until one is shown or sent"


@pytest.mark.parametrize(
    ("pain_types", "asks"),
    [(["migraine"], True), (["tension_type_headache", "neck_pain"], True), (["neck_pain"], False)],
)
def test_headache_days_are_asked_only_of_patients_with_headaches(front_desk, pain_types, asks):
    patient = PatientFactory()
    IntakeFactory(patient=patient, submitted=True, pain_types=pain_types)

    assert checkin_create(patient, by=front_desk, reason=ON_DEMAND).asks_headache_days is asks


def test_a_patient_without_a_submitted_intake_gets_no_check_in(front_desk):
    patient = PatientFactory()
    IntakeFactory(patient=patient)  # a draft

    with pytest.raises(CheckInRefused, match="not submitted an intake"):
        checkin_create(patient, by=front_desk, reason=ON_DEMAND)
    assert CheckIn.objects.count() == 0


def test_an_archived_chart_gets_no_check_in(front_desk, migraine):
    patient_archive(patient=migraine, reason="Moved away", archived_by=front_desk)

    with pytest.raises(CheckInRefused, match="archived"):
        checkin_create(migraine, by=front_desk, reason=ON_DEMAND)
    assert CheckIn.objects.count() == 0


def test_a_link_made_before_the_chart_was_archived_takes_no_answers_and_sends_nothing(
    front_desk, migraine
):
    check_in = checkin_create(migraine, by=front_desk, reason=ON_DEMAND)
    message = checkin_send_for_test(check_in)
    patient_archive(patient=migraine, reason="Moved away", archived_by=front_desk)

    with pytest.raises(CheckInClosed):
        checkin_submit(check_in, ANSWERS)
    assert make_message_link(message) is None
    check_in.refresh_from_db()
    assert check_in.submitted_at is None


def test_a_check_in_asked_for_by_staff_replaces_the_open_one(front_desk, migraine):
    first = checkin_create(migraine, by=None, reason=SESSIONS)
    old_token = checkin_link(first)

    second = checkin_create(migraine, by=front_desk, reason=ON_DEMAND)

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.is_open
    assert open_check_in(migraine) == second
    assert not checkin_for_token(old_token).is_open


@pytest.mark.parametrize("reason", [SESSIONS, REVIEW])
def test_an_automatic_check_in_is_not_made_while_another_waits_for_answers(
    front_desk, migraine, reason
):
    waiting = checkin_create(migraine, by=front_desk, reason=ON_DEMAND)

    assert checkin_create(migraine, by=None, reason=reason) is None
    assert list(CheckIn.objects.all()) == [waiting]
    assert waiting.is_open


def test_an_expired_check_in_is_replaced_even_by_an_automatic_one(front_desk, migraine):
    long_ago = timezone.now() - datetime.timedelta(days=8)
    expired = checkin_create(migraine, by=front_desk, reason=ON_DEMAND, now=long_ago)

    new = checkin_create(migraine, by=None, reason=SESSIONS)

    expired.refresh_from_db()
    assert expired.revoked_at is not None
    assert new is not None and new.is_open


def test_after_an_answered_check_in_a_new_one_can_be_made(front_desk, migraine):
    answered = make_check_in(migraine, by=front_desk, answers=ANSWERS)

    new = checkin_create(migraine, by=None, reason=SESSIONS)

    assert new is not None and new != answered


# --- Links ----------------------------------------------------------------------------


def test_a_link_stores_only_the_sha256_of_its_token_and_a_new_one_replaces_it(front_desk, migraine):
    check_in = checkin_create(migraine, by=front_desk, reason=ON_DEMAND)

    first = checkin_link(check_in)
    second = checkin_link(check_in)

    check_in.refresh_from_db()
    assert len(first) == 43 and first != second
    assert check_in.token_hash == hashlib.sha256(second.encode()).hexdigest()
    assert checkin_for_token(first) is None
    assert checkin_for_token(second) == check_in


def test_no_link_is_made_for_a_closed_check_in(front_desk, migraine):
    check_in = make_check_in(migraine, by=front_desk, answers=ANSWERS)

    with pytest.raises(CheckInRefused):
        checkin_link(check_in)


def test_stopping_a_check_in_closes_its_link(front_desk, migraine):
    check_in = checkin_create(migraine, by=front_desk, reason=ON_DEMAND)
    token = checkin_link(check_in)

    assert checkin_revoke(migraine, by=front_desk) == 1
    assert checkin_revoke(migraine, by=front_desk) == 0
    assert not checkin_for_token(token).is_open
    assert open_check_in(migraine) is None


# --- Answers --------------------------------------------------------------------------


def test_answers_are_kept_once(front_desk, migraine):
    check_in = checkin_create(migraine, by=front_desk, reason=ON_DEMAND)

    checkin_submit(check_in, ANSWERS)
    with pytest.raises(CheckInClosed):
        checkin_submit(check_in, {**ANSWERS, "pain_now": 0})

    check_in.refresh_from_db()
    assert check_in.submitted_at is not None
    assert (check_in.pain_now, check_in.pain_worst, check_in.pgic) == (3, 6, 2)
    assert (check_in.psfs_score_1, check_in.pain_medication_doses, check_in.headache_days) == (
        7,
        4,
        5,
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pain_now": 11}, "pain_now"),
        ({"pain_worst": -1}, "pain_worst"),
        ({"psfs_score_1": 12}, "psfs_score_1"),
        ({"pain_medication_doses": 201}, "pain_medication_doses"),
        ({"headache_days": 31}, "headache_days"),
        ({"pgic": 0}, "pgic"),
        ({"pgic": 8}, "pgic"),
        ({"pain_now": "5"}, "pain_now"),
        ({"pain_now": True}, "pain_now"),
        ({"pain_now": None}, "pain_now"),
        ({"pgic": None}, "pgic"),
        ({"psfs_score_1": None}, "psfs_score_1"),
        ({"psfs_score_2": 5}, "psfs_score_2"),  # the patient named one activity only
    ],
)
def test_answers_out_of_range_missing_or_not_asked_are_refused(
    front_desk, migraine, changes, field
):
    check_in = checkin_create(migraine, by=front_desk, reason=ON_DEMAND)

    with pytest.raises(InvalidAnswers) as refused:
        checkin_submit(check_in, {**ANSWERS, **changes})

    assert field in refused.value.errors
    check_in.refresh_from_db()
    assert check_in.submitted_at is None
    assert check_in.pain_now is None


def test_headache_days_are_refused_when_not_asked(front_desk):
    patient = PatientFactory()
    IntakeFactory(patient=patient, submitted=True, pain_types=["neck_pain"])
    check_in = checkin_create(patient, by=front_desk, reason=ON_DEMAND)

    with pytest.raises(InvalidAnswers) as refused:
        checkin_submit(check_in, ANSWERS)
    assert list(refused.value.errors) == ["headache_days"]

    answers = {k: v for k, v in ANSWERS.items() if k != "headache_days"}
    assert checkin_submit(check_in, answers).headache_days is None


def test_the_medicine_doses_may_be_left_unanswered(front_desk, migraine):
    check_in = checkin_create(migraine, by=front_desk, reason=ON_DEMAND)

    kept = checkin_submit(check_in, {**ANSWERS, "pain_medication_doses": None})

    assert kept.pain_medication_doses is None
    assert kept.submitted_at is not None


@pytest.mark.parametrize("how", ["expired", "stopped"])
def test_an_expired_or_stopped_check_in_takes_no_answers(front_desk, migraine, how):
    check_in = checkin_create(migraine, by=front_desk, reason=ON_DEMAND)
    if how == "expired":
        CheckIn.objects.filter(pk=check_in.pk).update(expires_at=timezone.now())
    else:
        checkin_revoke(migraine, by=front_desk)

    with pytest.raises(CheckInClosed):
        checkin_submit(check_in, ANSWERS)


# --- Reads ----------------------------------------------------------------------------


def test_the_reads_give_the_open_the_last_and_every_answered_check_in(
    front_desk, migraine, django_assert_num_queries
):
    early = make_check_in(migraine, by=front_desk, answers={**ANSWERS, "pain_now": 6})
    late = make_check_in(migraine, by=front_desk, answers={**ANSWERS, "pain_now": 2})
    waiting = checkin_create(migraine, by=None, reason=SESSIONS)

    with django_assert_num_queries(3):
        assert answered_for(migraine) == [early, late]
        assert last_answered(migraine) == late
        assert open_check_in(migraine) == waiting
    with django_assert_num_queries(1):
        assert chart_check_ins(migraine, clinical=False)["last_check_in"] is None


def test_the_audit_trail_records_a_check_in_without_its_token(front_desk, migraine):
    from audit.models import AuditEntry

    check_in = checkin_create(migraine, by=front_desk, reason=ON_DEMAND)
    token = checkin_link(check_in)
    checkin_submit(check_in, ANSWERS)

    entries = AuditEntry.objects.filter(object_pk=str(check_in.pk), patient_id=migraine.pk)
    assert entries.count() >= 2, "made and answered"
    for entry in entries:
        assert token not in str(entry.changes)
        assert check_in.token_hash not in str(entry.changes)


# --- At the same moment ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("reasons", [(ON_DEMAND, ON_DEMAND), (SESSIONS, REVIEW)])
def test_two_check_ins_made_at_once_leave_one_open(front_desk, reasons):
    from tests.concurrency import at_the_same_moment

    patient = treated_patient()

    outcomes = at_the_same_moment(
        *(lambda r=r: checkin_create(patient, by=None, reason=r) for r in reasons)
    )

    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert CheckIn.objects.filter(submitted_at=None, revoked_at=None).count() == 1
    if reasons[0] == ON_DEMAND:
        assert CheckIn.objects.count() == 2, "the later one replaced the first"
    else:
        assert sorted(outcome is None for outcome in outcomes) == [False, True]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_submissions_at_once_keep_one_set_of_answers(front_desk):
    from tests.concurrency import at_the_same_moment

    check_in = checkin_create(treated_patient(), by=front_desk, reason=ON_DEMAND)

    outcomes = at_the_same_moment(
        lambda: checkin_submit(check_in, {**ANSWERS, "pain_now": 1}),
        lambda: checkin_submit(check_in, {**ANSWERS, "pain_now": 9}),
    )

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["CheckIn", "CheckInClosed"]
    kept = next(outcome for outcome in outcomes if isinstance(outcome, CheckIn))
    check_in.refresh_from_db()
    assert check_in.pain_now == kept.pain_now


def checkin_send_for_test(check_in):
    """The queued message of a check-in (the patient takes email)."""
    patient = check_in.patient
    patient.reminder_channel = "email"
    patient.email = "pat@example.com"
    patient.save()
    queued = checkin_send(check_in)
    assert queued.message is not None
    return queued.message
