"""The clinic's outcomes: how its patients do, in figures worked out by the database.

Every figure is an aggregate over annotated rows (subqueries, a window function,
GROUP BY), so the number of queries does not grow with the number of patients
and nothing loops over patients in Python. They run the same on SQLite and
PostgreSQL. The improvement rule is progress.figures' (docs/clinical-rules.md
section 1), in whole-number arithmetic: a drop d = B - s from the plan's baseline B
to the latest pain before s is clinically important when d >= 2 and 10*d >= 3*B,
substantial when d >= 2 and 10*d >= 5*B.

Who counts. The filters pick plans: the practitioner's plans, plans under way in the
period (started by its end, not ended before its start), plans of patients whose
last submitted intake names the pain type. Each patient counts once, with their
latest plan among those. Sessions count up to the period's end. Adverse events are
counted over the signed sessions dated in the period (of that practitioner, of
patients with that pain type).
"""

import datetime
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncDate
from django.utils import timezone

from checkins.models import CheckIn
from intake.models import Intake
from intake.vocabulary import PainType
from plans import cadence
from plans.models import Plan
from progress.figures import IMPORTANT_FRACTION, IMPORTANT_POINTS, SUBSTANTIAL_FRACTION
from sessions.models import AdverseEvent, TreatmentSession
from sessions.vocabulary import AdverseEventType, Severity

# Improvement is judged once a plan has this many signed sessions.
MIN_SESSIONS = 4

# Witt et al. 2009 (229,230 patients): the share of acupuncture patients with an
# adverse event of any kind, and with bleeding or a haematoma (docs/clinical-rules.md
# section 3).
REFERENCE_ANY_PERCENT = 8.6
REFERENCE_BLEEDING_PERCENT = 6.1
BLEEDING_KINDS = (AdverseEventType.BRUISING, AdverseEventType.BLEEDING)

NON_RESPONSE = str(cadence.Flag.NON_RESPONSE)

# In date order; on one date, in the order signed (as plans.selectors.plan_visits).
SESSION_ORDER = ("date", "signed_at", "pk")


@dataclass(frozen=True)
class Filters:
    practitioner_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    pain_type: str = ""


@dataclass(frozen=True)
class Share:
    """`count` of `out_of`; no percentage when there is nobody to count."""

    count: int
    out_of: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.count / self.out_of, 1) if self.out_of else None


@dataclass(frozen=True)
class Improvement:
    """Plans with at least MIN_SESSIONS signed sessions and a baseline of 2 or more,
    and how many of them improved."""

    group: str
    important: Share
    substantial: Share


@dataclass(frozen=True)
class Rate:
    """Adverse events of one kind (or severity) per 100 signed sessions."""

    label: str
    events: int
    sessions: int

    @property
    def per_100(self) -> float | None:
        return round(100 * self.events / self.sessions, 1) if self.sessions else None


@dataclass(frozen=True)
class Row:
    """One line of the outcomes table, as the CSV download has it."""

    figure: str
    group: str
    count: int | float | None
    out_of: int | None
    value: float | None
    unit: str
    reference: float | None = None


@dataclass(frozen=True)
class Outcomes:
    filters: Filters
    today: datetime.date
    patients: int  # counted: each patient once, with their latest plan in scope
    active: int
    overall: Improvement
    # Plans with enough sessions but a baseline below 2 or none: no 2-point drop to find.
    not_measurable: int
    by_pain_type: list[Improvement]
    by_practitioner: list[Improvement]
    # Sessions it took to first reach a clinically important improvement.
    reached: int
    median_sessions: float | None
    medication_fell: Share
    medication_rose: int
    non_responders: int
    rungs: list[tuple[str, int]]
    overdue: int
    sessions: int
    ae_by_kind: list[Rate]
    ae_by_severity: list[Rate]
    ae_patients: Share
    bleeding_patients: Share
    treated_patients: int = field(default=0)

    def rows(self) -> list[Row]:
        """Every figure as a row: what the page shows, for a spreadsheet."""
        rows = [
            Row("Patients on a plan", "All", self.patients, None, self.patients, "patients"),
            Row("Active patients", "All", self.active, None, self.active, "patients"),
        ]
        for improvement in [self.overall, *self.by_pain_type, *self.by_practitioner]:
            for label, share in (
                ("Clinically important improvement", improvement.important),
                ("Substantial improvement", improvement.substantial),
            ):
                rows.append(
                    Row(label, improvement.group, share.count, share.out_of, share.percent, "%")
                )
        rows += [
            Row(
                "Not measurable (baseline below 2)",
                "All",
                self.not_measurable,
                None,
                self.not_measurable,
                "patients",
            ),
            Row(
                "Median sessions to an important improvement",
                "All",
                self.reached,
                None,
                self.median_sessions,
                "sessions",
            ),
            Row(
                "Pain medication use fell",
                "All",
                self.medication_fell.count,
                self.medication_fell.out_of,
                self.medication_fell.percent,
                "%",
            ),
            Row(
                "Pain medication use rose",
                "All",
                self.medication_rose,
                self.medication_fell.out_of,
                Share(self.medication_rose, self.medication_fell.out_of).percent,
                "%",
            ),
            Row("Non-responders", "All", self.non_responders, None, self.non_responders, "patients"),
        ]
        rows += [Row("Cadence", label, n, None, n, "patients") for label, n in self.rungs]
        rows.append(Row("Overdue visits", "All", self.overdue, None, self.overdue, "patients"))
        rows.append(Row("Signed sessions", "All", self.sessions, None, self.sessions, "sessions"))
        for heading, rates in (
            ("Adverse events by type", self.ae_by_kind),
            ("Adverse events by severity", self.ae_by_severity),
        ):
            rows += [
                Row(heading, rate.label, rate.events, rate.sessions, rate.per_100, "per 100 sessions")
                for rate in rates
            ]
        rows += [
            Row(
                "Patients with any adverse event",
                "All",
                self.ae_patients.count,
                self.ae_patients.out_of,
                self.ae_patients.percent,
                "%",
                REFERENCE_ANY_PERCENT,
            ),
            Row(
                "Patients with bleeding or a haematoma",
                "All",
                self.bleeding_patients.count,
                self.bleeding_patients.out_of,
                self.bleeding_patients.percent,
                "%",
                REFERENCE_BLEEDING_PERCENT,
            ),
        ]
        return rows


# --- The plans counted ----------------------------------------------------------------


def _in_scope(plans: QuerySet, filters: Filters) -> QuerySet:
    if filters.practitioner_id is not None:
        plans = plans.filter(practitioner_id=filters.practitioner_id)
    if filters.date_to is not None:
        plans = plans.filter(start_date__lte=filters.date_to)
    if filters.date_from is not None:
        plans = plans.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=filters.date_from))
    return plans


def _latest_intake(patient_ref) -> Subquery:
    """The patient's last submitted intake: its pain types are the patient's."""
    return Subquery(
        Intake.objects.submitted()
        .filter(patient=patient_ref)
        .order_by("-submitted_at", "-pk")
        .values("pk")[:1]
    )


def _has_pain_type(pain_type: str) -> Exists:
    # The list is stored as JSON text (["neck_pain", ...]): the quoted value matches
    # one whole item ("lower_back_pain" is not "back_pain") on both databases.
    return Exists(
        Intake.objects.filter(pk=OuterRef("intake_id"), pain_types__icontains=f'"{pain_type}"')
    )


def _signed_sessions(filters: Filters) -> QuerySet:
    """The plan's (OuterRef pk) signed sessions up to the period's end."""
    sessions = TreatmentSession.objects.filter(
        plan_link__plan=OuterRef("pk"), status=TreatmentSession.Status.SIGNED
    )
    if filters.date_to is not None:
        sessions = sessions.filter(date__lte=filters.date_to)
    return sessions


def _whole(expression) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=IntegerField())


def _improved(drop: str, baseline: str, share: Fraction) -> Q:
    """d >= 2 and d/B >= share, as 10*d >= 10*share*B in whole numbers."""
    tenths = int(share * 10)
    return Q(**{f"{drop}__gte": IMPORTANT_POINTS, f"{drop}_x10__gte": tenths * F(baseline)})


def _annotated_plans(filters: Filters, today: datetime.date) -> QuerySet:
    """Each patient's latest plan in scope, with what the figures need."""
    latest_in_scope = (
        _in_scope(Plan.objects.filter(patient=OuterRef("patient")), filters)
        .order_by("-start_date", "-pk")
        .values("pk")[:1]
    )
    plans = (
        _in_scope(Plan.objects.all(), filters)
        .filter(pk=Subquery(latest_in_scope))
        .annotate(intake_id=_latest_intake(OuterRef("patient")))
    )
    if filters.pain_type:
        plans = plans.filter(_has_pain_type(filters.pain_type))

    sessions = _signed_sessions(filters)
    newest_first = sessions.order_by("-date", "-signed_at", "-pk")
    with_doses = sessions.filter(pain_medication_doses__isnull=False)

    # Each session's drop from the plan's baseline, to find the first that was
    # clinically important, and its number in the plan (a window over the plan's
    # sessions in date order: the row number is taken before any ordering by result).
    session_drop = _whole(OuterRef("baseline_pain") - F("pain_before"))
    ranked = sessions.annotate(
        drop=session_drop,
        drop_x10=_whole(10 * (OuterRef("baseline_pain") - F("pain_before"))),
    ).annotate(
        meets=Case(
            When(_improved("drop", "baseline_x3", Fraction(1)), then=Value(1)),
            default=Value(0),
        )
    )
    first_important = (
        sessions.annotate(
            drop=session_drop,
            drop_x10=_whole(10 * (OuterRef("baseline_pain") - F("pain_before"))),
            number=Window(RowNumber(), order_by=[F(name).asc() for name in SESSION_ORDER]),
        )
        .annotate(
            meets=Case(
                When(
                    Q(drop__gte=IMPORTANT_POINTS, drop_x10__gte=3 * OuterRef("baseline_pain")),
                    then=Value(1),
                ),
                default=Value(0),
            )
        )
        .order_by("-meets", *SESSION_ORDER)
        .values("number")[:1]
    )
    del ranked  # (kept simple: the condition is spelled out once, above)

    check_ins = CheckIn.objects.filter(
        patient=OuterRef("patient"),
        submitted_at__isnull=False,
        pain_medication_doses__isnull=False,
    ).annotate(day=TruncDate("submitted_at"))
    check_ins = check_ins.filter(day__gte=OuterRef("start_date"))
    if filters.date_to is not None:
        check_ins = check_ins.filter(day__lte=filters.date_to)
    check_ins = check_ins.order_by("-submitted_at", "-pk")

    intake_doses = (
        Intake.objects.submitted()
        .filter(patient=OuterRef("patient"), pain_medication_doses__isnull=False)
        .annotate(day=TruncDate("submitted_at"))
        # Given before treatment: by the first session's day (as the baseline, section 6).
        .filter(Q(day__lte=OuterRef("first_dosed_day")) | Q(Value(True, output_field=None)))
    )
    del intake_doses
    return plans.annotate(
        signed=Coalesce(
            Subquery(
                sessions.order_by()
                .values("plan_link__plan")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            0,
        ),
        latest_pain=Subquery(newest_first.values("pain_before")[:1]),
        ever_important=Exists(
            sessions.annotate(
                drop=session_drop,
                drop_x10=_whole(10 * (OuterRef("baseline_pain") - F("pain_before"))),
            ).filter(drop__gte=IMPORTANT_POINTS, drop_x10__gte=3 * OuterRef("baseline_pain"))
        ),
        sessions_to_important=Subquery(first_important),
        # Medication: the first and latest doses a session recorded, the latest check-in's.
        first_dosed_pk=Subquery(with_doses.order_by(*SESSION_ORDER).values("pk")[:1]),
        first_dosed_day=Subquery(with_doses.order_by(*SESSION_ORDER).values("date")[:1]),
        first_doses=Subquery(
            with_doses.order_by(*SESSION_ORDER).values("pain_medication_doses")[:1]
        ),
        last_dosed_pk=Subquery(
            with_doses.order_by("-date", "-signed_at", "-pk").values("pk")[:1]
        ),
        last_dosed_day=Subquery(
            with_doses.order_by("-date", "-signed_at", "-pk").values("date")[:1]
        ),
        last_doses=Subquery(
            with_doses.order_by("-date", "-signed_at", "-pk").values("pain_medication_doses")[:1]
        ),
        check_in_day=Subquery(check_ins.values("day")[:1]),
        check_in_doses=Subquery(check_ins.values("pain_medication_doses")[:1]),
    )
