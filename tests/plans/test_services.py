"""Every refusal of the plan and appointment services, asked of the service directly.

The pages ask the same rules before they offer a form; these tests show that the
services decide on their own, from the database, whatever object the caller holds.
"""

import datetime

import pytest
from django.db import IntegrityError
from django.utils import timezone

from intake.models import Patient
from intake.services import ChartArchived, patient_archive
from plans.models import Plan, PlanDecision, PlanEvent
from plans.services import (
    PlanError,
    plan_close,
    plan_create,
    plan_decide,
    plan_update,
)
from tests.factories import (
    make_plan,
    sign_history,
)

pytestmark = pytest.mark.django_db


def _tomorrow_at(hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _stored(plan: Plan) -> Plan:
    return Plan.objects.get(pk=plan.pk)


@pytest.fixture
def plan(patient, acupuncturist):
    """An active plan with two signed visits."""
    plan = make_plan(patient, user=acupuncturist)
    sign_history(patient, user=acupuncturist, scores=[8, 7])
    return _stored(plan)


@pytest.fixture
def ended(plan, acupuncturist):
    """The plan, completed by someone else after the caller read it: the caller's copy
    still says active."""
    plan_close(plan=_stored(plan), status=Plan.Status.COMPLETED, reason="", user=acupuncturist)
    assert plan.is_active
    return plan


# --- starting a plan ----------------------------------------------------------------


def test_a_second_plan_is_refused_while_one_is_active(patient, acupuncturist, plan):
    with pytest.raises(PlanError, match="^This patient already has an active plan.$"):
        plan_create(patient=patient, data={"practitioner": acupuncturist}, user=acupuncturist)

    assert list(Plan.objects.filter(patient=patient)) == [plan]


def test_a_plan_cannot_be_started_on_a_chart_archived_after_the_caller_read_it(
    patient, acupuncturist, front_desk
):
    read_before = Patient.objects.get(pk=patient.pk)
    patient_archive(patient=patient, reason="Moved abroad", archived_by=front_desk)

    with pytest.raises(
        ChartArchived, match="^This chart is archived. Restore it before starting a plan.$"
    ):
        plan_create(patient=read_before, data={"practitioner": acupuncturist}, user=acupuncturist)

    assert not Plan.objects.exists()


# --- an ended plan ------------------------------------------------------------------


def test_an_ended_plan_refuses_new_details(ended, acupuncturist):
    with pytest.raises(PlanError, match="^This plan has ended and can no longer be changed.$"):
        plan_update(plan=ended, data={"target_pain": 0}, reason="Late", user=acupuncturist)

    stored = _stored(ended)
    assert stored.target_pain != 0
    assert not stored.events.filter(kind=PlanEvent.Kind.DETAILS).exists()


# --- the plan's details ---------------------------------------------------------------


def test_a_check_in_setting_beyond_52_is_refused_by_the_database_whatever_the_caller_passes(
    plan, acupuncturist
):
    with pytest.raises(IntegrityError):
        plan_update(plan=plan, data={"check_in_every": 53}, reason="Typo", user=acupuncturist)

    stored = _stored(plan)
    assert stored.check_in_every == 4
    assert not stored.events.filter(kind=PlanEvent.Kind.DETAILS).exists()


def test_a_new_check_in_setting_is_saved_with_who_changed_it_and_why(plan, acupuncturist):
    plan_update(plan=plan, data={"check_in_every": 0}, reason="Patient asked", user=acupuncturist)

    stored = _stored(plan)
    assert (stored.check_in_every, stored.updated_by) == (0, acupuncturist)
    [event] = stored.events.filter(kind=PlanEvent.Kind.DETAILS)
    assert (event.numbers, event.reason) == ("changed: sessions between check-ins", "Patient asked")
    assert event.created_by == acupuncturist


@pytest.mark.parametrize(
    "decision",
    [
        {"kind": PlanDecision.Kind.OVERRIDE, "rung": "monthly"},
        {"kind": PlanDecision.Kind.HOLD},
        {"kind": PlanDecision.Kind.RELEASE},
        {"kind": PlanDecision.Kind.BASELINE, "baseline_pain": 3},
    ],
    ids=["override", "hold", "release", "baseline"],
)
def test_an_ended_plan_refuses_every_decision(ended, acupuncturist, decision):
    with pytest.raises(PlanError, match="^This plan has ended and can no longer be changed.$"):
        plan_decide(plan=ended, reason="Late", user=acupuncturist, **decision)

    assert not PlanDecision.objects.filter(plan=ended).exists()


def test_an_ended_plan_cannot_be_ended_again(ended, acupuncturist):
    with pytest.raises(PlanError, match="^This plan has already ended.$"):
        plan_close(plan=ended, status=Plan.Status.DISCONTINUED, reason="Again", user=acupuncturist)

    stored = _stored(ended)
    assert (stored.status, stored.end_reason) == (Plan.Status.COMPLETED, "")
    assert not stored.events.filter(kind=PlanEvent.Kind.DISCONTINUED).exists()


# --- decisions ----------------------------------------------------------------------


def test_holding_a_cadence_already_on_hold_is_refused(plan, acupuncturist):
    plan_decide(plan=plan, kind=PlanDecision.Kind.HOLD, reason="Travelling", user=acupuncturist)

    with pytest.raises(PlanError, match="^The cadence is already on hold.$"):
        plan_decide(plan=plan, kind=PlanDecision.Kind.HOLD, reason="Again", user=acupuncturist)

    assert PlanDecision.objects.filter(plan=plan).count() == 1


def test_releasing_a_cadence_that_is_not_on_hold_is_refused(plan, acupuncturist):
    with pytest.raises(PlanError, match="^The cadence is not on hold.$"):
        plan_decide(plan=plan, kind=PlanDecision.Kind.RELEASE, reason="Back", user=acupuncturist)

    assert not PlanDecision.objects.filter(plan=plan).exists()


@pytest.mark.parametrize("rung", ["", "daily"], ids=["no rung", "unknown rung"])
def test_setting_the_cadence_without_a_rung_of_the_policy_is_refused(plan, acupuncturist, rung):
    with pytest.raises(PlanError, match="^Choose the cadence to set.$"):
        plan_decide(
            plan=plan, kind=PlanDecision.Kind.OVERRIDE, rung=rung, reason="Busy", user=acupuncturist
        )

    assert not PlanDecision.objects.filter(plan=plan).exists()
    assert _stored(plan).cadence == plan.cadence


@pytest.mark.parametrize("baseline_pain", [None, -1, 11], ids=["none", "below 0", "above 10"])
def test_correcting_the_baseline_without_a_value_from_0_to_10_is_refused(
    plan, acupuncturist, baseline_pain
):
    with pytest.raises(PlanError, match="^Give the corrected baseline, 0 to 10.$"):
        plan_decide(
            plan=plan,
            kind=PlanDecision.Kind.BASELINE,
            baseline_pain=baseline_pain,
            reason="Typo",
            user=acupuncturist,
        )

    stored = _stored(plan)
    assert (stored.baseline_pain, stored.baseline_source) == (8, Plan.BaselineSource.FIRST_SESSION)
    assert not PlanDecision.objects.filter(plan=plan).exists()


# --- ending a plan ------------------------------------------------------------------


@pytest.mark.parametrize("status", ["", Plan.Status.ACTIVE], ids=["no status", "active"])
def test_ending_a_plan_without_saying_completed_or_discontinued_is_refused(
    plan, acupuncturist, status
):
    with pytest.raises(PlanError, match="^Choose whether the plan is completed or discontinued.$"):
        plan_close(plan=plan, status=status, reason="Done", user=acupuncturist)

    assert _stored(plan).is_active


def test_discontinuing_a_plan_without_a_reason_is_refused(plan, acupuncturist):
    with pytest.raises(PlanError, match="^Say why the plan is discontinued.$"):
        plan_close(plan=plan, status=Plan.Status.DISCONTINUED, reason="  ", user=acupuncturist)

    assert _stored(plan).is_active
