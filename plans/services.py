"""Writes to plans and appointments. Each takes the acting user explicitly.

A plan's cadence, next visit due and flags are never set by hand: every write here
ends in _replay(), which runs the cadence policy over the plan's signed sessions and
decisions and stores the result, with a PlanEvent for each change it makes.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.history import check_version
from intake.models import Patient
from intake.services import refuse_archived
from plans import cadence, figures
from plans.models import Plan, PlanDecision, PlanEvent, PlanSession
from plans.selectors import derive_baseline, plan_outcome, plan_visits, unplanned_sessions
from sessions.models import TreatmentSession

DETAIL_FIELDS = (
    "practitioner",
    "months_with_pain",
    "target_pain",
    "functional_goals",
    "pain_pattern",
    "advice",
    "advice_notes",
    "referral_notes",
    "review_date",
    "check_in_every",
)
DETAIL_M2M = ("protocols", "referrals")


class PlanError(Exception):
    """A plan change that cannot be made; the message says why, for the user."""


ALREADY_ENDED = "This plan has already ended."


def refuse_ended(
    plan: Plan, message: str = "This plan has ended and can no longer be changed."
) -> None:
    """Raise PlanError for a plan that has ended: it stays on the chart, read-only.

    The services decide on the locked row; a view asks first, on the row it read, so
    that it offers no form the service would refuse.
    """
    if not plan.is_active:
        raise PlanError(message)


def refuse_second_plan(patient: Patient) -> None:
    """Raise PlanError when the patient already has an active plan: one at a time."""
    if patient.plans.active().exists():
        raise PlanError("This patient already has an active plan.")


def _lock(plan: Plan) -> Plan:
    return Plan.objects.select_for_update().get(pk=plan.pk)


def _flag_messages(outcome: cadence.Outcome) -> dict[str, str]:
    return {str(code): message for code, message in outcome.flags}


def _replay(
    plan: Plan,
    *,
    user: User,
    session: TreatmentSession | None = None,
    decision: PlanDecision | None = None,
) -> cadence.Outcome:
    """Replay the policy, store the result on the plan and record what changed.

    A cadence change caused by a decision is recorded by the decision's own event;
    here only automatic changes (a signed session, a re-derived baseline) are.
    """
    sessions = plan_visits(plan)
    if plan.baseline_source != Plan.BaselineSource.CORRECTED:
        _rederive_baseline(plan, sessions[0] if sessions else None, user=user, session=session)
    outcome = plan_outcome(plan, sessions)
    if outcome.cadence != plan.cadence and decision is None:
        _record_cadence_change(plan, outcome, user=user, session=session)
    _record_new_flags(plan, outcome, user=user, session=session)
    _store_outcome(plan, outcome, sessions)
    return outcome


def _rederive_baseline(
    plan: Plan,
    first_visit: TreatmentSession | None,
    *,
    user: User,
    session: TreatmentSession | None,
) -> None:
    """Take the baseline the intake or the first visit gives now
    (docs/cadence-policy.md#the-numbers-it-looks-at); a new value is recorded, a new
    source alone is not."""
    derived = derive_baseline(plan.patient, first_visit)
    if derived.value != plan.baseline_pain:
        PlanEvent.objects.create(
            plan=plan,
            kind=PlanEvent.Kind.BASELINE,
            from_value="" if plan.baseline_pain is None else f"{plan.baseline_pain}/10",
            to_value="" if derived.value is None else f"{derived.value}/10",
            numbers=f"baseline from {Plan.BaselineSource(derived.source).label}",
            automatic=True,
            session=session,
            created_by=user,
        )
    plan.baseline_pain, plan.baseline_source = derived.value, derived.source


def _record_cadence_change(
    plan: Plan, outcome: cadence.Outcome, *, user: User, session: TreatmentSession | None
) -> None:
    """An automatic cadence change: the step the signed session made, or (when the
    whole history moved it) the last step that changed the cadence."""
    last = outcome.steps[-1] if outcome.steps else None
    if session is not None and last and last.key == str(session.code) and last.changed:
        step, numbers = last, last.numbers
    else:
        step = outcome.last_change
        numbers = "the history was replayed in date order" + (
            f"; last change on {step.date:%Y-%m-%d}: {step.numbers}" if step else ""
        )
    PlanEvent.objects.create(
        plan=plan,
        kind=PlanEvent.Kind.CADENCE,
        from_value=plan.cadence,
        to_value=outcome.cadence,
        rule=step.rule if step else "",
        numbers=numbers,
        automatic=True,
        session=session,
        created_by=user,
    )


def _record_new_flags(
    plan: Plan, outcome: cadence.Outcome, *, user: User, session: TreatmentSession | None
) -> None:
    """One event per flag the plan did not carry before; a flag that clears is not one."""
    old_flags = set(plan.flags)
    for code, message in _flag_messages(outcome).items():
        if code not in old_flags:
            PlanEvent.objects.create(
                plan=plan,
                kind=PlanEvent.Kind.FLAG,
                to_value=code,
                numbers=message,
                automatic=True,
                session=session,
                created_by=user,
            )


def _store_outcome(plan: Plan, outcome: cadence.Outcome, sessions: list[TreatmentSession]) -> None:
    kept = figures.figures(
        plan.baseline_pain,
        (figures.Visit(s.date, s.pain_before, s.pain_medication_doses) for s in sessions),
    )
    for name, value in kept.as_fields().items():
        setattr(plan, name, value)
    plan.cadence = outcome.cadence
    plan.policy_cadence = outcome.policy_cadence
    plan.on_hold = outcome.held
    plan.next_due = outcome.next_due
    plan.flags = [str(code) for code, _ in outcome.flags]
    plan.session_count = outcome.session_count
    plan.save()


@transaction.atomic
def plan_create(*, patient: Patient, data: dict, user: User) -> Plan:
    """Start the patient's plan, counting their signed sessions not yet in a plan
    (those since the last plan ended). Refused when a plan is already active
    (PlanError) or the chart is archived (ChartArchived)."""
    # Two plans started at once for one patient: the second waits here, then finds
    # the first active.
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    refuse_second_plan(locked)
    refuse_archived(locked, "This chart is archived. Restore it before starting a plan.")
    unplanned = unplanned_sessions(patient)
    today = timezone.localdate()
    plan = Plan(
        patient=patient,
        start_date=min([s.date for s in unplanned] + [today]),
        created_by=user,
        updated_by=user,
        baseline_source=Plan.BaselineSource.PENDING,
    )
    _set_details(plan, data)
    plan.save()
    _set_relations(plan, data)
    PlanSession.objects.bulk_create([PlanSession(plan=plan, session=s) for s in unplanned])
    PlanEvent.objects.create(
        plan=plan,
        kind=PlanEvent.Kind.CREATED,
        to_value=cadence.Rung.WEEKLY,
        numbers=f"{len(unplanned)} signed session(s) counted in the plan",
        created_by=user,
    )
    _replay(plan, user=user)
    return plan


def _set_details(plan: Plan, data: dict) -> None:
    for name in DETAIL_FIELDS:
        if name in data:
            setattr(plan, name, data[name])


def _set_relations(plan: Plan, data: dict) -> None:
    for name in DETAIL_M2M:
        if name in data:
            getattr(plan, name).set(data[name])


@transaction.atomic
def plan_update(
    *, plan: Plan, data: dict, reason: str, user: User, version: int | None = None
) -> Plan:
    """Change the plan's details (goals, advice, referrals...), saying why.

    With `version` (the edit form's), an edit that someone else's overtook is refused.
    """
    plan = _lock(plan)
    refuse_ended(plan)
    if version is not None:
        check_version(plan, version, data)
    changed = [
        Plan._meta.get_field(name).verbose_name
        for name in DETAIL_FIELDS
        if name in data and getattr(plan, name) != data[name]
    ] + [
        Plan._meta.get_field(name).verbose_name
        for name in DETAIL_M2M
        if name in data
        and {obj.pk for obj in getattr(plan, name).all()} != {obj.pk for obj in data[name]}
    ]
    if not changed:
        return plan
    _set_details(plan, data)
    plan.updated_by = user
    plan.version += 1
    plan.save()
    _set_relations(plan, data)
    PlanEvent.objects.create(
        plan=plan,
        kind=PlanEvent.Kind.DETAILS,
        numbers="changed: " + ", ".join(changed),
        reason=reason,
        created_by=user,
    )
    # The course estimate follows months_with_pain, so the review flag may change.
    _replay(plan, user=user)
    return plan


@transaction.atomic
def plan_decide(
    *,
    plan: Plan,
    kind: str,
    reason: str,
    user: User,
    rung: str = "",
    baseline_pain: int | None = None,
) -> PlanDecision:
    """Record a practitioner's decision (override, hold, release, baseline) and replay."""
    plan = _lock(plan)
    refuse_ended(plan)
    Kind = PlanDecision.Kind
    if kind == Kind.HOLD and plan.on_hold:
        raise PlanError("The cadence is already on hold.")
    if kind == Kind.RELEASE and not plan.on_hold:
        raise PlanError("The cadence is not on hold.")
    if kind == Kind.OVERRIDE and rung not in {r.value for r in cadence.RUNGS}:
        raise PlanError("Choose the cadence to set.")
    if kind == Kind.BASELINE and (baseline_pain is None or not 0 <= baseline_pain <= 10):
        raise PlanError("Give the corrected baseline, 0 to 10.")

    before_cadence, before_baseline = plan.cadence, plan.baseline_pain
    decision = PlanDecision.objects.create(
        plan=plan,
        kind=kind,
        rung=rung if kind == Kind.OVERRIDE else "",
        baseline_pain=baseline_pain if kind == Kind.BASELINE else None,
        reason=reason,
        created_by=user,
    )
    if kind == Kind.BASELINE:
        plan.baseline_pain = baseline_pain
        plan.baseline_source = Plan.BaselineSource.CORRECTED
    plan.updated_by = user
    outcome = _replay(plan, user=user, decision=decision)
    step = next((s for s in reversed(outcome.steps) if s.key == f"decision-{decision.pk}"), None)
    if kind == Kind.BASELINE:
        moved = (
            f"; the history was replayed: cadence {before_cadence} → {outcome.cadence}"
            if outcome.cadence != before_cadence
            else "; the history was replayed, the cadence stays"
        )
        event = dict(
            kind=PlanEvent.Kind.BASELINE,
            from_value="" if before_baseline is None else f"{before_baseline}/10",
            to_value=f"{baseline_pain}/10",
            numbers=f"baseline corrected{moved}",
        )
    else:
        event = dict(
            kind={
                Kind.OVERRIDE: PlanEvent.Kind.CADENCE,
                Kind.HOLD: PlanEvent.Kind.HOLD,
                Kind.RELEASE: PlanEvent.Kind.RELEASE,
            }[kind],
            from_value=before_cadence,
            to_value=outcome.cadence,
            rule=step.rule if step else kind,
            numbers=step.numbers if step else "",
        )
    PlanEvent.objects.create(
        plan=plan, reason=reason, automatic=False, decision=decision, created_by=user, **event
    )
    return decision


@transaction.atomic
def plan_close(*, plan: Plan, status: str, reason: str, user: User) -> Plan:
    """Complete (discharge) or discontinue the plan. It stays on the chart, read-only."""
    plan = _lock(plan)
    refuse_ended(plan, ALREADY_ENDED)
    if status not in (Plan.Status.COMPLETED, Plan.Status.DISCONTINUED):
        raise PlanError("Choose whether the plan is completed or discontinued.")
    if status == Plan.Status.DISCONTINUED and not reason.strip():
        raise PlanError("Say why the plan is discontinued.")
    plan.status = status
    plan.ended_on = timezone.localdate()
    plan.ended_by = user
    plan.end_reason = reason
    plan.updated_by = user
    plan.save()
    PlanEvent.objects.create(
        plan=plan,
        kind=PlanEvent.Kind.COMPLETED
        if status == Plan.Status.COMPLETED
        else PlanEvent.Kind.DISCONTINUED,
        from_value=Plan.Status.ACTIVE,
        to_value=status,
        reason=reason,
        created_by=user,
    )
    return plan


@transaction.atomic
def plan_replay(*, plan: Plan, user: User) -> cadence.Outcome:
    """Replay an active plan as it stands (after a data repair, or demo data)."""
    plan = _lock(plan)
    return _replay(plan, user=user)


def plan_session_signed(*, session: TreatmentSession, user: User) -> Plan | None:
    """A session was just signed: count it in the patient's active plan and replay.

    Called inside session_sign's transaction. Without an active plan the session
    waits; the next plan created counts it.
    """
    plan = Plan.objects.select_for_update().filter(patient_id=session.patient_id).active().first()
    if plan is None:
        return None
    PlanSession.objects.get_or_create(session=session, defaults={"plan": plan})
    _replay(plan, user=user, session=session)
    return plan
