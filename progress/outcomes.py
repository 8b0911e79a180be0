"""The clinic's outcomes: how its patients do, in figures worked out by the database.

Every figure is an aggregate over annotated rows (correlated subqueries, a window
function, GROUP BY), so the number of queries does not grow with the number of
patients and nothing loops over patients in Python. They run the same on SQLite and
PostgreSQL.

The improvement rule is progress.figures' (docs/clinical-rules.md#1-measures), in
whole-number arithmetic: a drop d = B - s from the plan's baseline B to a session's
pain before s is clinically important when d >= 2 and 10*d >= 3*B, substantial when
d >= 2 and 10*d >= 5*B.

Who counts. The filters pick plans: the practitioner's plans, plans under way in the
period (started by its end, not ended before its start), plans of patients whose last
submitted intake names the pain type. Each patient counts once, with their latest plan
among those. Sessions count up to the period's end. Adverse events are counted over
the signed sessions dated in the period (that practitioner's, of patients with that
pain type).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

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
# adverse event of any kind, and with bleeding or a haematoma
# (docs/clinical-rules.md#3-treatment-session-vocabulary).
REFERENCE_ANY_PERCENT = 8.6
REFERENCE_BLEEDING_PERCENT = 6.1
BLEEDING_KINDS = (AdverseEventType.BRUISING, AdverseEventType.BLEEDING)

# In date order; on one date, in the order signed (as plans.selectors.plan_visits).
SESSION_ORDER = ("date", "signed_at", "pk")
NEWEST_FIRST = ("-date", "-signed_at", "-pk")


@dataclass(frozen=True)
class Filters:
    practitioner_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    pain_type: str = ""


def percent(count: int, out_of: int) -> float | None:
    """count / out_of as a percentage, rounded half up to one decimal."""
    if not out_of:
        return None
    return (2000 * count + out_of) // (2 * out_of) / 10


@dataclass(frozen=True)
class Share:
    """`count` of `out_of`; no percentage when there is nobody to count."""

    count: int
    out_of: int

    @property
    def percent(self) -> float | None:
        return percent(self.count, self.out_of)

    def __str__(self) -> str:
        """ "12 of 20 (60%)"; "0 of 0" when there is nobody to count."""
        if self.percent is None:
            return f"{self.count} of {self.out_of}"
        return f"{self.count} of {self.out_of} ({self.percent:g}%)"


@dataclass(frozen=True)
class Improvement:
    """Of one group's patients with at least MIN_SESSIONS signed sessions and a
    baseline of 2 or more, how many improved (judged at their latest session)."""

    group: str
    important: Share
    substantial: Share


@dataclass(frozen=True)
class Rate:
    """Adverse events of one type (or severity) per 100 signed sessions."""

    label: str
    events: int
    sessions: int

    @property
    def per_100(self) -> float | None:
        return percent(self.events, self.sessions)


@dataclass(frozen=True)
class Row:
    """One line of the outcomes table, as the CSV download has it."""

    figure: str
    group: str
    count: int | None
    out_of: int | None
    value: float | None
    unit: str
    reference: float | None = None


@dataclass(frozen=True)
class Outcomes:
    filters: Filters
    today: datetime.date
    patients: int  # each patient once, with their latest plan in scope
    active: int  # of those, with that plan active
    overall: Improvement
    # Enough sessions but a baseline below 2 (or none): no 2-point drop to find.
    not_measurable: int
    by_pain_type: list[Improvement]
    by_practitioner: list[Improvement]
    # Of the patients in `overall`, those whose pain ever met the rule, and the median
    # number of signed sessions it took them to first meet it.
    reached: int
    median_sessions: float | None
    medication_fell: Share
    medication_rose: Share
    non_responders: int
    rungs: list[tuple[str, int]]
    overdue: int
    sessions: int  # signed sessions in the period
    treated: int  # patients with a signed session in the period
    ae_by_type: list[Rate]
    ae_by_severity: list[Rate]
    ae_patients: Share
    bleeding_patients: Share

    @property
    def ae_events(self) -> int:
        return sum(rate.events for rate in self.ae_by_type)

    def rows(self) -> list[Row]:
        """Every figure as a row: what the page shows, for a spreadsheet."""
        rows = [
            Row("Patients on a plan", "All", self.patients, None, None, "patients"),
            Row("Active patients", "All", self.active, self.patients, None, "patients"),
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
                None,
                "patients",
            ),
            Row(
                "Median sessions to a clinically important improvement",
                "All",
                self.reached,
                None,
                self.median_sessions,
                "sessions",
            ),
        ]
        for label, share in (
            ("Pain medication use fell", self.medication_fell),
            ("Pain medication use rose", self.medication_rose),
        ):
            rows.append(Row(label, "All", share.count, share.out_of, share.percent, "%"))
        rows.append(Row("Non-responders", "All", self.non_responders, None, None, "patients"))
        rows += [Row("Cadence", label, n, None, None, "patients") for label, n in self.rungs]
        rows += [
            Row("Overdue visits", "All", self.overdue, None, None, "patients"),
            Row("Signed sessions", "All", self.sessions, None, None, "sessions"),
        ]
        for heading, rates in (
            ("Adverse events by type", self.ae_by_type),
            ("Adverse events by severity", self.ae_by_severity),
        ):
            rows += [
                Row(
                    heading,
                    rate.label,
                    rate.events,
                    rate.sessions,
                    rate.per_100,
                    "per 100 sessions",
                )
                for rate in rates
            ]
        for label, share, reference in (
            ("Patients with any adverse event", self.ae_patients, REFERENCE_ANY_PERCENT),
            (
                "Patients with bleeding or a haematoma",
                self.bleeding_patients,
                REFERENCE_BLEEDING_PERCENT,
            ),
        ):
            rows.append(Row(label, "All", share.count, share.out_of, share.percent, "%", reference))
        return rows


def median(histogram: Iterable[tuple[int, int]]) -> float | None:
    """The median of values given as (value, how many times): the middle one, or the
    mean of the two middle ones."""
    counts = sorted((value, n) for value, n in histogram if n)
    total = sum(n for _value, n in counts)
    if not total:
        return None
    wanted = {(total - 1) // 2, total // 2}  # 0-based positions of the middle
    found, seen = [], 0
    for value, n in counts:
        found += [value] * len(wanted & set(range(seen, seen + n)))
        seen += n
    return sum(found) / len(found)


# --- The plans counted ----------------------------------------------------------------


def _whole(expression) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=IntegerField())


def _tenths(share) -> int:
    """30% and 50% as 3 and 5 tenths: 10*d >= 3*B and 10*d >= 5*B."""
    tenths = share * 10
    if tenths.denominator != 1:
        raise ValueError(f"{share} is not a whole number of tenths")
    return int(tenths)


def _meets(drop: str, baseline, share) -> Q:
    """d >= 2 and d/B >= share, as 10*d >= 10*share*B in whole numbers; `drop` names
    the annotated d, `{drop}_x10` its tenfold."""
    return Q(**{f"{drop}__gte": IMPORTANT_POINTS, f"{drop}_x10__gte": baseline * _tenths(share)})


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
    """Whether the annotated intake_id's pain types include `pain_type`. The list is
    stored as JSON text (["neck_pain", ...]): the quoted value matches one whole item
    ("back_pain" is not "lower_back_pain") on both databases."""
    return Exists(
        Intake.objects.filter(pk=OuterRef("intake_id"), pain_types__icontains=f'"{pain_type}"')
    )


def _plan_sessions(filters: Filters) -> QuerySet:
    """The plan's (OuterRef pk) signed sessions up to the period's end."""
    sessions = TreatmentSession.objects.filter(
        plan_link__plan=OuterRef("pk"), status=TreatmentSession.Status.SIGNED
    )
    if filters.date_to is not None:
        sessions = sessions.filter(date__lte=filters.date_to)
    return sessions


def _counted_plans(filters: Filters) -> QuerySet:
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
    return _with_improvement(plans, filters).annotate(**_medication(filters))


def _with_improvement(plans: QuerySet, filters: Filters) -> QuerySet:
    sessions = _plan_sessions(filters)
    # Each session's drop from the plan's baseline (the outer row's).
    scored = sessions.annotate(
        drop=_whole(OuterRef("baseline_pain") - F("pain_before")),
        drop_x10=_whole(10 * (OuterRef("baseline_pain") - F("pain_before"))),
    )
    meets = _meets("drop", OuterRef("baseline_pain"), IMPORTANT_FRACTION)
    # The number of the first session that met the rule: each session's number in
    # the plan (a window over its sessions in date order) when it met the rule, then
    # the lowest. Filtering on the windowed value keeps the numbering of all the
    # sessions (Django filters it around the numbered rows).
    first_reached = (
        scored.annotate(
            met_number=Case(
                When(
                    meets,
                    then=Window(RowNumber(), order_by=[F(name).asc() for name in SESSION_ORDER]),
                ),
                default=None,
            ),
        )
        .filter(met_number__isnull=False)
        .order_by("met_number")
        .values("met_number")[:1]
    )
    return plans.annotate(
        signed=Coalesce(
            Subquery(
                sessions.order_by().values("plan_link__plan").annotate(n=Count("pk")).values("n")
            ),
            0,
        ),
        latest_pain=Subquery(sessions.order_by(*NEWEST_FIRST).values("pain_before")[:1]),
        reached=Exists(scored.filter(meets)),
        first_reached=Subquery(first_reached),
    ).annotate(
        drop=_whole(F("baseline_pain") - F("latest_pain")),
        drop_x10=_whole(10 * (F("baseline_pain") - F("latest_pain"))),
    )


def _medication(filters: Filters) -> dict:
    """Pain medication doses in the last 7 days, before treatment and latest.

    Before: the doses of the last intake submitted by the day of the plan's first
    session, else the first session that recorded doses. Latest: the newest record
    after that, a session's or an answered check-in's (on one day, the session's).
    """
    sessions = _plan_sessions(filters).filter(pain_medication_doses__isnull=False)
    first = sessions.order_by(*SESSION_ORDER)
    last = sessions.order_by(*NEWEST_FIRST)
    first_day = Subquery(_plan_sessions(filters).order_by(*SESSION_ORDER).values("date")[:1])
    intake_doses = Subquery(
        Intake.objects.submitted()
        .filter(patient=OuterRef("patient"), pain_medication_doses__isnull=False)
        .annotate(day=TruncDate("submitted_at"))
        # Given before treatment: by the first session's day (as the baseline,
        # docs/clinical-rules.md#6-cadence-policy).
        .filter(day__lte=Coalesce(OuterRef("first_day"), Value(timezone.localdate())))
        .order_by("-submitted_at", "-pk")
        .values("pain_medication_doses")[:1]
    )
    check_ins = (
        CheckIn.objects.filter(
            patient=OuterRef("patient"),
            submitted_at__isnull=False,
            pain_medication_doses__isnull=False,
        )
        .annotate(day=TruncDate("submitted_at"))
        .filter(day__gte=OuterRef("start_date"))
    )
    if filters.date_to is not None:
        check_ins = check_ins.filter(day__lte=filters.date_to)
    check_ins = check_ins.order_by("-submitted_at", "-pk")

    from_intake = Q(intake_doses__isnull=False)
    session_after = Q(last_session_doses__isnull=False) & (
        from_intake | ~Q(last_session_pk=F("first_session_pk"))
    )
    check_in_after = Q(check_in_doses__isnull=False) & (
        from_intake | Q(check_in_day__gt=F("first_session_day"))
    )
    return {
        "first_day": first_day,
        "intake_doses": intake_doses,
        "first_session_pk": Subquery(first.values("pk")[:1]),
        "first_session_day": Subquery(first.values("date")[:1]),
        "first_session_doses": Subquery(first.values("pain_medication_doses")[:1]),
        "last_session_pk": Subquery(last.values("pk")[:1]),
        "last_session_day": Subquery(last.values("date")[:1]),
        "last_session_doses": Subquery(last.values("pain_medication_doses")[:1]),
        "check_in_day": Subquery(check_ins.values("day")[:1]),
        "check_in_doses": Subquery(check_ins.values("pain_medication_doses")[:1]),
        "doses_before": Coalesce(F("intake_doses"), F("first_session_doses")),
        "doses_after": Case(
            When(
                check_in_after
                & (Q(last_session_day__isnull=True) | Q(check_in_day__gt=F("last_session_day"))),
                then=F("check_in_doses"),
            ),
            When(session_after, then=F("last_session_doses")),
            default=None,
            output_field=IntegerField(),
        ),
    }


ENOUGH = Q(signed__gte=MIN_SESSIONS)
MEASURED = ENOUGH & Q(baseline_pain__gte=IMPORTANT_POINTS)
NOT_MEASURABLE = ENOUGH & (Q(baseline_pain__isnull=True) | Q(baseline_pain__lt=IMPORTANT_POINTS))
IMPORTANT = MEASURED & _meets("drop", F("baseline_pain"), IMPORTANT_FRACTION)
SUBSTANTIAL = MEASURED & _meets("drop", F("baseline_pain"), SUBSTANTIAL_FRACTION)
ACTIVE = Q(status=Plan.Status.ACTIVE)


def _improvement_counts(prefix: str, where: Q | None = None) -> dict:
    def only(q: Q) -> Q:
        return q if where is None else q & where

    return {
        f"{prefix}measured": Count("pk", filter=only(MEASURED)),
        f"{prefix}important": Count("pk", filter=only(IMPORTANT)),
        f"{prefix}substantial": Count("pk", filter=only(SUBSTANTIAL)),
    }


def _improvement(group: str, counts: dict, prefix: str = "") -> Improvement:
    measured = counts[f"{prefix}measured"]
    return Improvement(
        group,
        Share(counts[f"{prefix}important"], measured),
        Share(counts[f"{prefix}substantial"], measured),
    )


# --- Adverse events ----------------------------------------------------------------------


def _sessions_in_period(filters: Filters) -> QuerySet:
    sessions = TreatmentSession.objects.filter(status=TreatmentSession.Status.SIGNED)
    if filters.practitioner_id is not None:
        sessions = sessions.filter(created_by_id=filters.practitioner_id)
    if filters.date_from is not None:
        sessions = sessions.filter(date__gte=filters.date_from)
    if filters.date_to is not None:
        sessions = sessions.filter(date__lte=filters.date_to)
    if filters.pain_type:
        sessions = sessions.annotate(intake_id=_latest_intake(OuterRef("patient"))).filter(
            _has_pain_type(filters.pain_type)
        )
    return sessions


def _adverse_events(filters: Filters) -> dict:
    sessions = _sessions_in_period(filters)
    events = AdverseEvent.objects.filter(session__in=sessions.values("pk"))
    by_session = sessions.annotate(
        any_event=Exists(AdverseEvent.objects.filter(session=OuterRef("pk"))),
        bleeding=Exists(
            AdverseEvent.objects.filter(session=OuterRef("pk"), kind__in=BLEEDING_KINDS)
        ),
    ).aggregate(
        sessions=Count("pk"),
        treated=Count("patient", distinct=True),
        ae_patients=Count("patient", distinct=True, filter=Q(any_event=True)),
        bleeding_patients=Count("patient", distinct=True, filter=Q(bleeding=True)),
    )
    by_event = events.aggregate(
        **{f"type_{kind}": Count("pk", filter=Q(kind=kind)) for kind in AdverseEventType.values},
        **{f"severity_{grade}": Count("pk", filter=Q(severity=grade)) for grade in Severity.values},
    )
    return {**by_session, **by_event}


# --- Everything ----------------------------------------------------------------------------


def _practitioner_name(row: dict) -> str:
    full = f"{row['practitioner__first_name']} {row['practitioner__last_name']}".strip()
    return full or row["practitioner__username"]


def clinic_outcomes(filters: Filters, *, today: datetime.date | None = None) -> Outcomes:
    """The clinic's outcomes for these filters, in five queries whatever the number of
    patients."""
    today = today or timezone.localdate()
    plans = _counted_plans(filters)
    overdue_before = today - datetime.timedelta(days=cadence.OVERDUE_AFTER_DAYS)
    non_response = f'"{cadence.Flag.NON_RESPONSE}"'
    compared = Q(doses_before__isnull=False, doses_after__isnull=False)

    totals = plans.aggregate(
        patients=Count("pk"),
        active=Count("pk", filter=ACTIVE),
        not_measurable=Count("pk", filter=NOT_MEASURABLE),
        **_improvement_counts(""),
        **{
            key: value
            for pain_type in PainType.values
            for key, value in _improvement_counts(
                f"{pain_type}_", Q(_has_pain_type(pain_type))
            ).items()
        },
        compared=Count("pk", filter=compared),
        fell=Count("pk", filter=compared & Q(doses_after__lt=F("doses_before"))),
        rose=Count("pk", filter=compared & Q(doses_after__gt=F("doses_before"))),
        non_responders=Count("pk", filter=Q(flags__icontains=non_response)),
        overdue=Count("pk", filter=ACTIVE & Q(next_due__lt=overdue_before)),
        **{f"rung_{rung}": Count("pk", filter=ACTIVE & Q(cadence=rung)) for rung in cadence.RUNGS},
    )

    by_practitioner = (
        plans.filter(MEASURED)
        .values(
            "practitioner",
            "practitioner__first_name",
            "practitioner__last_name",
            "practitioner__username",
        )
        .annotate(**_improvement_counts(""))
        .order_by()
    )
    # How many sessions it took each patient to first meet the rule, as a histogram:
    # its size is bounded by the number of sessions of a plan, not of patients.
    histogram = (
        plans.filter(MEASURED, reached=True)
        .values("first_reached")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("first_reached", "n")
    )
    histogram = list(histogram)
    ae = _adverse_events(filters)

    practitioners = sorted(
        (_improvement(_practitioner_name(row), row) for row in by_practitioner),
        key=lambda improvement: improvement.group.lower(),
    )
    pain_types = [
        _improvement(label, totals, f"{value}_")
        for value, label in PainType.choices
        if totals[f"{value}_measured"]
    ]
    sessions = ae["sessions"]
    return Outcomes(
        filters=filters,
        today=today,
        patients=totals["patients"],
        active=totals["active"],
        overall=_improvement("All", totals),
        not_measurable=totals["not_measurable"],
        by_pain_type=pain_types,
        by_practitioner=practitioners,
        reached=sum(n for _sessions, n in histogram),
        median_sessions=median(histogram),
        medication_fell=Share(totals["fell"], totals["compared"]),
        medication_rose=Share(totals["rose"], totals["compared"]),
        non_responders=totals["non_responders"],
        rungs=[(cadence.RUNG_LABELS[rung], totals[f"rung_{rung}"]) for rung in cadence.RUNGS],
        overdue=totals["overdue"],
        sessions=sessions,
        treated=ae["treated"],
        ae_by_type=[
            Rate(label, ae[f"type_{kind}"], sessions) for kind, label in AdverseEventType.choices
        ],
        ae_by_severity=[
            Rate(label, ae[f"severity_{grade}"], sessions) for grade, label in Severity.choices
        ],
        ae_patients=Share(ae["ae_patients"], ae["treated"]),
        bleeding_patients=Share(ae["bleeding_patients"], ae["treated"]),
    )
