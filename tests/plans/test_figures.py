"""The figures a plan keeps from its signed visits for the clinic's outcomes
(plans/figures.py): worked out on every replay, and by backfill for plans that never
had them."""

import dataclasses
import datetime

import pytest
from django.utils import timezone

from audit.registry import TRACKED
from plans import figures
from plans.models import Plan
from sessions.models import TreatmentSession
from tests.factories import PatientFactory, PractitionerProfileFactory, make_plan, sign_history

D = datetime.date(2026, 3, 2)


def visit(days: int, pain: int, doses: int | None = None) -> figures.Visit:
    return figures.Visit(D + datetime.timedelta(days=days), pain, doses)


def test_nothing_signed_keeps_nothing():
    assert figures.figures(8, []) == figures.Figures()


def test_the_latest_pain_and_the_first_visit_that_met_the_rule():
    # Baseline 8: 6 is 2 points but 25%; 5 is 3 points and 37.5%: the third visit.
    kept = figures.figures(8, [visit(0, 8), visit(7, 6), visit(14, 5), visit(21, 7)])
    assert kept.latest_pain == 7  # the improvement was lost since: still the third
    assert kept.first_important_visit == 3
    assert kept.first_visit_date == D


@pytest.mark.parametrize(
    ("baseline", "pains", "first"),
    [
        (None, [3, 1], None),  # no baseline: nothing to judge against
        (1, [0, 0], None),  # a 1-point drop is never 2 points
        (2, [0], 1),  # 2 points and 100%
        (10, [8, 7], 2),  # 8 is 20%; 7 is 30%, exactly
        (7, [5, 4], 2),  # 5 is 28.6% (short of 30%), 4 is 42.9%
    ],
)
def test_the_rule_is_two_points_and_thirty_percent(baseline, pains, first):
    kept = figures.figures(baseline, [visit(n, pain) for n, pain in enumerate(pains)])
    assert kept.first_important_visit == first


def test_the_first_and_last_doses_recorded_at_a_visit():
    kept = figures.figures(6, [visit(0, 6), visit(7, 5, 8), visit(14, 4), visit(21, 3, 2)])
    assert (kept.first_doses, kept.first_doses_date) == (8, D + datetime.timedelta(days=7))
    assert (kept.last_doses, kept.last_doses_date) == (2, D + datetime.timedelta(days=21))
    assert kept.dosed_visits == 2


def test_the_kept_fields_are_the_plans_and_left_out_of_the_audit_trail():
    names = tuple(field.name for field in dataclasses.fields(figures.Figures))
    assert names == figures.FIELDS
    for name in figures.FIELDS:
        assert not Plan._meta.get_field(name).editable
    # Derived from the signed sessions, which are recorded themselves.
    assert set(TRACKED["plans.Plan"]["exclude_fields"]) == set(figures.FIELDS)


@pytest.mark.django_db
def test_signing_keeps_the_figures_and_backfill_gives_the_same():
    practitioner = PractitionerProfileFactory().user
    patient = PatientFactory()
    make_plan(patient, user=practitioner)
    start = timezone.localdate() - datetime.timedelta(days=60)
    sessions = sign_history(patient, user=practitioner, scores=[8, 7, 5, 4], start=start)
    plan = Plan.objects.get(patient=patient)

    assert plan.session_count == 4
    assert (plan.latest_pain, plan.first_important_visit) == (4, 3)
    assert plan.first_visit_date == sessions[0].date
    assert plan.dosed_visits == 0 and plan.first_doses is None
    kept = {name: getattr(plan, name) for name in figures.FIELDS}

    # A plan that never had them (as before the migration): backfill works them out.
    Plan.objects.filter(pk=plan.pk).update(latest_pain=None, first_important_visit=None)
    other = make_plan(PatientFactory(), user=practitioner)  # nothing signed
    assert figures.backfill(Plan, TreatmentSession, signed="signed") == 2
    plan.refresh_from_db()
    assert {name: getattr(plan, name) for name in figures.FIELDS} == kept
    other.refresh_from_db()
    assert other.latest_pain is None and other.dosed_visits == 0
