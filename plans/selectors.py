"""Reads for plans, appointments and the worklist, each in a fixed number of queries."""

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q
from django.utils import timezone

from intake.models import Intake, Patient
from plans import cadence
from plans.models import Plan, PlanDecision, ReferralContact
from scheduling.models import Appointment
from scheduling.selectors import CHART_APPOINTMENTS_SHOWN, next_appointment, recent_appointments
from sessions.models import Protocol, TreatmentSession

WORKLIST_DAYS_AHEAD = 7
# What plan_visits reads of each session (cadence.Visit, the baseline, the timeline).
VISIT_FIELDS = (
    "code",
    "patient",
    "date",
    "pain_before",
    "pain_after",
    "pain_medication_doses",
    "signed_at",
    "status",
)


@dataclass(frozen=True)
class Baseline:
    value: int | None
    source: str  # a Plan.BaselineSource value

    @property
    def source_label(self) -> str:
        return Plan.BaselineSource(self.source).label


def plan_visits(plan: Plan) -> list[TreatmentSession]:
    """The plan's signed sessions in date order (same date: in the order signed), with
    only what the replay, the baseline and the plan's chart read: a plan's history
    can be hundreds of notes, each one long, and every signing replays it."""
    return list(
        TreatmentSession.objects.filter(plan_link__plan=plan, status=TreatmentSession.Status.SIGNED)
        .only(*VISIT_FIELDS)
        .order_by("date", "signed_at", "pk")
    )


def derive_baseline(patient: Patient, first_session: TreatmentSession | None) -> Baseline:
    """docs/clinical-rules.md section 6: the intake's pain now when an intake was submitted
    before the first session, else the first session's pain before."""
    intakes = patient.intakes.submitted().exclude(pain_now=None).order_by("-submitted_at")
    if first_session is not None:
        day_after = first_session.date + datetime.timedelta(days=1)
        start_of_day_after = timezone.make_aware(
            datetime.datetime.combine(day_after, datetime.time.min)
        )
        # Submitted before the first session: by the end of that session's day at the
        # latest (a patient may fill the intake in the waiting room).
        intakes = intakes.filter(submitted_at__lt=start_of_day_after)
    intake: Intake | None = intakes.first()
    if intake is not None:
        return Baseline(intake.pain_now, Plan.BaselineSource.INTAKE)
    if first_session is not None:
        return Baseline(first_session.pain_before, Plan.BaselineSource.FIRST_SESSION)
    return Baseline(None, Plan.BaselineSource.PENDING)


def unplanned_sessions(patient: Patient) -> list[TreatmentSession]:
    """Signed sessions a new plan would count: in no plan yet, and not before the
    patient's previous plan ended. In date order."""
    sessions = patient.treatment_sessions.filter(
        status=TreatmentSession.Status.SIGNED, plan_link__isnull=True
    )
    last_ended = patient.plans.exclude(ended_on=None).order_by("-ended_on").first()
    if last_ended is not None:
        sessions = sessions.filter(date__gte=last_ended.ended_on)
    return list(sessions.order_by("date", "signed_at", "pk"))


def baseline_preview(patient: Patient) -> Baseline:
    """The baseline a plan started now would take."""
    sessions = unplanned_sessions(patient)
    return derive_baseline(patient, sessions[0] if sessions else None)


def plan_inputs(plan: Plan, sessions: list[TreatmentSession]):
    """The cadence engine's inputs for this plan: (visits, decisions)."""
    visits = [cadence.Visit(str(s.code), s.date, s.pain_before, s.signed_at) for s in sessions]
    decisions = [
        cadence.Decision(
            key=f"decision-{d.pk}",
            date=d.date,
            kind=cadence.DecisionKind(d.kind),
            rung=cadence.Rung(d.rung) if d.rung else None,
            reason=d.reason,
            at=d.created_at,
        )
        for d in plan.decisions.exclude(kind=PlanDecision.Kind.BASELINE).order_by(
            "date", "created_at", "pk"
        )
    ]
    return visits, decisions


def plan_outcome(plan: Plan, sessions: list[TreatmentSession] | None = None) -> cadence.Outcome:
    """Replay the cadence policy for this plan as it stands in the database."""
    if sessions is None:
        sessions = plan_visits(plan)
    visits, decisions = plan_inputs(plan, sessions)
    return cadence.replay(
        baseline=plan.baseline_pain,
        visits=visits,
        decisions=decisions,
        months_with_pain=plan.months_with_pain,
        start_date=plan.start_date,
    )


def active_plan(patient: Patient) -> Plan | None:
    return patient.plans.active().select_related("practitioner", "created_by", "updated_by").first()


def earlier_plans(patient: Patient, *, besides: Plan | None):
    """The patient's plans other than the one shown, latest started first (one query,
    when the page lists them)."""
    return (
        patient.plans.exclude(pk=besides.pk if besides else None)
        .order_by("-start_date")
        .select_related("ended_by")
    )


def plan_history(plan: Plan):
    """The plan's events, newest first, with who made each and the session behind it
    (one query, when the page lists them)."""
    return plan.events.select_related("created_by", "session").order_by("-created_at", "-pk")


def plan_protocols(plan: Plan) -> list[Protocol]:
    return list(plan.protocols.all())


def plan_referrals(plan: Plan) -> list[ReferralContact]:
    return list(plan.referrals.all())


def patients_booked_ahead(now: datetime.datetime):
    """The patients with a booked appointment still ahead, as one set. Asked as
    `patient_id IN (this)`, the database reads it once per query (PostgreSQL hashes
    it), where a correlated EXISTS looked up every plan's patient in turn: with
    thousands of plans due, that was most of the dashboard's time."""
    return Appointment.objects.filter(status=Appointment.Status.BOOKED, starts_at__gte=now).values(
        "patient_id"
    )


def due_worklist(
    *, today: datetime.date, practitioner_id: int | None = None, booked: bool | None = None
):
    """Active plans due within WORKLIST_DAYS_AHEAD days or overdue, most overdue first;
    with `booked`, only those with (True) or without (False) a booking ahead.

    Each plan carries `upcoming` (its patient's booked appointments still ahead,
    soonest first) for the template; `has_booking` (whether there is one) is there
    to filter and count by (worklist_counts), not read back.
    """
    now = timezone.now()
    plans = Plan.objects.due_by(today + datetime.timedelta(days=WORKLIST_DAYS_AHEAD))
    if practitioner_id is not None:
        plans = plans.filter(practitioner_id=practitioner_id)
    plans = (
        plans.alias(
            has_booking=ExpressionWrapper(
                Q(patient_id__in=patients_booked_ahead(now)), output_field=BooleanField()
            )
        )
        .select_related("patient", "practitioner")
        .prefetch_related(
            Prefetch(
                "patient__appointments",
                queryset=Appointment.objects.upcoming(now).select_related("practitioner"),
                to_attr="upcoming",
            )
        )
        .order_by("next_due", "patient__last_name", "patient__first_name", "pk")
    )
    if booked is not None:
        plans = plans.filter(has_booking=booked)
    return plans


def worklist_counts(plans) -> dict:
    """How many of the worklist's plans are to book and how many are booked, in one
    query: the plans due and, of those, the booked ones. Counting the patient (in
    the index's key, never null) rather than the id lets PostgreSQL read the index
    alone (plans.models.Plan's indexes)."""
    counts = plans.aggregate(
        due=Count("patient"), booked=Count("patient", filter=Q(has_booking=True))
    )
    return {"to_book": counts["due"] - counts["booked"], "booked": counts["booked"]}


def chart_plan(patient: Patient) -> dict:
    """The chart's plan card: the active plan, the next appointment and recent visits."""
    return {
        "show_plan": True,
        "plan": active_plan(patient),
        "next_appointment": next_appointment(patient),
        "appointments": recent_appointments(patient),
        "now": timezone.now(),
        "appointments_shown": CHART_APPOINTMENTS_SHOWN,
    }
