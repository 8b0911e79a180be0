"""The clinic's outcomes: how its patients do, in figures worked out by the database.

Every figure is an aggregate the database works out in set-based passes (one window
over the counted plans' signed sessions, joins, GROUP BY; no subquery per plan), so
neither the number of queries nor the work per plan grows with the number of
patients, and nothing loops over patients in Python: Python only adds up the grouped
rows (per practitioner and per session number, a handful). They run the same on
SQLite and PostgreSQL.

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
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from checkins.models import CheckIn
from intake.models import Intake
from intake.vocabulary import PainType
from plans import cadence
from plans import figures as plan_figures
from plans.models import Plan, PlanSession
from progress.figures import IMPORTANT_FRACTION, IMPORTANT_POINTS, SUBSTANTIAL_FRACTION
from sessions.models import NUMBER_RANGES, AdverseEvent, TreatmentSession
from sessions.vocabulary import AdverseEventType, Severity

# Improvement is judged once a plan has this many signed sessions.
MIN_SESSIONS = 4

# Witt et al. 2009 (229,230 patients): the share of acupuncture patients with an
# adverse event of any kind, and with bleeding or a haematoma
# (docs/clinical-rules.md#3-treatment-session-vocabulary).
REFERENCE_ANY_PERCENT = 8.6
REFERENCE_BLEEDING_PERCENT = 6.1
BLEEDING_KINDS = (AdverseEventType.BRUISING, AdverseEventType.BLEEDING)

# A plan's sessions are numbered in date order and, on one date, in the order signed
# (as plans.selectors.plan_visits): ORDER BY date, signed_at, id in _plan_figures_sql.


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
#
# One pass over the counted plans' signed sessions, numbered once by a window over all
# of them (not a subquery per plan: at 5,000 patients the correlated version ran about
# 190 subplans per plan and took minutes), then one row per plan joined with its latest
# intake and check-in, grouped by practitioner and by the number of the session that
# first met the rule. The parts that differ between the databases (a local date, a
# JSON list's items) are compiled by the ORM; the rest is plain SQL both run.


def _in_scope(plans: QuerySet, filters: Filters) -> QuerySet:
    if filters.practitioner_id is not None:
        plans = plans.filter(practitioner_id=filters.practitioner_id)
    if filters.date_to is not None:
        plans = plans.filter(start_date__lte=filters.date_to)
    if filters.date_from is not None:
        plans = plans.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=filters.date_from))
    return plans


def _names(pain_type: str) -> Q:
    """Whether an intake's pain types include `pain_type`. The list is stored as JSON
    text (["neck_pain", ...]): the quoted value matches one whole item ("back_pain" is
    not "lower_back_pain") on both databases."""
    return Q(pain_types__icontains=f'"{pain_type}"')


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _latest_intakes() -> QuerySet:
    """Each patient's last submitted intake (its pain types are the patient's): no
    submitted intake of theirs comes after it. An anti-join, not a subquery per row."""
    later = Intake.objects.submitted().filter(
        Q(submitted_at__gt=OuterRef("submitted_at"))
        | Q(submitted_at=OuterRef("submitted_at"), pk__gt=OuterRef("pk")),
        patient=OuterRef("patient"),
    )
    return Intake.objects.submitted().filter(~Exists(later))


def _patients_naming(pain_type: str) -> QuerySet:
    """The patients whose last submitted intake names `pain_type`."""
    return _latest_intakes().filter(_names(pain_type)).values("patient_id")


def _sql(queryset: QuerySet) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# Room for a session's pain (0-10) or doses (0-200) beside its number: see per_plan.
SLOT = 1 + max(NUMBER_RANGES["pain_before"][1], NUMBER_RANGES["pain_medication_doses"][1])


def _meets_sql(drop: str, baseline: str, share) -> str:
    """d >= 2 and d/B >= share, as 10*d >= 10*share*B in whole numbers."""
    return f"({drop} >= {IMPORTANT_POINTS} AND 10 * ({drop}) >= {_tenths(share)} * {baseline})"


def _tenths(share) -> int:
    """30% and 50% as 3 and 5 tenths: 10*d >= 3*B and 10*d >= 5*B."""
    tenths = share * 10
    if tenths.denominator != 1:
        raise ValueError(f"{share} is not a whole number of tenths")
    return int(tenths)


# Each counted plan's figures worked out from its signed sessions up to the period's
# end (a period that ends before today): a window over all of them, then one row per
# plan. Formatted with quoted table names and constants only.
WORKED_OUT_PER_PLAN = """numbered AS (
    -- Each counted plan's signed sessions numbered in date order, in one window over
    -- all of them (hash joins: no look-up per plan).
    SELECT ps.plan_id, s.date, s.pain_before, s.pain_medication_doses AS doses,
           c.baseline_pain,
           ROW_NUMBER() OVER (
               PARTITION BY ps.plan_id ORDER BY s.date, s.signed_at, s.id
           ) AS n
    FROM counted c
    JOIN {plan_session_table} ps ON ps.plan_id = c.id
    JOIN {session_table} s ON s.id = ps.session_id
    WHERE s.status = %s{session_filter}
),
per_plan AS (
    -- A value at the latest (or first) numbered session, without another window:
    -- MAX (or MIN) of n * {slot} + value, whose remainder is the value (pain is 0-10,
    -- doses 0-200 by the table's constraints). Sessions are in date order, so the
    -- first and last dated sessions with doses are the earliest and latest dates.
    SELECT n.plan_id,
           COUNT(*) AS signed,
           MAX(n.n * {slot} + n.pain_before) %% {slot} AS latest_pain,
           MIN(CASE WHEN {meets} THEN n.n END) AS first_reached,
           MIN(n.date) AS first_day,
           MIN(n.n * {slot} + n.doses) %% {slot} AS first_session_doses,
           MIN(CASE WHEN n.doses IS NOT NULL THEN n.date END) AS first_session_day,
           MAX(n.n * {slot} + n.doses) %% {slot} AS last_session_doses,
           MAX(CASE WHEN n.doses IS NOT NULL THEN n.date END) AS last_session_day,
           CASE WHEN COUNT(n.doses) > 1 THEN 1 ELSE 0 END AS dosed_again
    FROM numbered n
    GROUP BY n.plan_id
)"""

# Every signed session counts (no period, or one that ends today or later): the same
# columns from the figures each plan keeps (plans.figures), no session read.
KEPT_PER_PLAN = """per_plan AS (
    SELECT c.id AS plan_id,
           c.session_count AS signed,
           c.latest_pain,
           c.first_important_visit AS first_reached,
           c.first_visit_date AS first_day,
           c.first_doses AS first_session_doses,
           c.first_doses_date AS first_session_day,
           c.last_doses AS last_session_doses,
           c.last_doses_date AS last_session_day,
           CASE WHEN c.dosed_visits > 1 THEN 1 ELSE 0 END AS dosed_again
    FROM counted c
    WHERE c.session_count > 0
)"""


def _kept_figures_hold(filters: Filters, today: datetime.date) -> bool:
    """Whether the plans' kept figures answer: every signed session counts (sessions
    are never dated after the day they are written)."""
    return filters.date_to is None or filters.date_to >= today


def _plan_figures_sql(filters: Filters, today: datetime.date) -> tuple[str, tuple]:
    """One row per (practitioner, number of the session that first met the rule among
    measured plans) with every per-plan count; its size is bounded by practitioners
    times sessions in a plan, not by patients."""
    adapt = connection.ops.adapt_datefield_value
    # Each patient's latest plan in scope: no plan of theirs in scope starts later (an
    # anti-join, which the planner can size; a "row number = 1" it cannot).
    later_plan = _in_scope(Plan.objects.filter(patient=OuterRef("patient")), filters).filter(
        Q(start_date__gt=OuterRef("start_date"))
        | Q(start_date=OuterRef("start_date"), pk__gt=OuterRef("pk"))
    )
    plans = _in_scope(Plan.objects.all(), filters).filter(~Exists(later_plan))
    # The pain type is the patient's, so it is filtered last (on the joined latest
    # intake): filtered here, the planner misjudges how few plans are left by a LIKE
    # and loops over them.
    pain_filter = ""
    if filters.pain_type:
        # A value that is not a pain type is on nobody's intake.
        known = filters.pain_type in PainType.values
        pain_filter = f"WHERE f.pt_{filters.pain_type} = 1" if known else "WHERE 1 = 0"
    plans = plans.annotate(
        non_responder=_flag(Q(flags__icontains=f'"{cadence.Flag.NON_RESPONSE}"')),
    ).values(
        "id",
        "patient_id",
        "practitioner_id",
        "status",
        "start_date",
        "baseline_pain",
        "cadence",
        "next_due",
        "non_responder",
        "session_count",
        *plan_figures.FIELDS,
    )
    intakes = (
        _latest_intakes()
        .annotate(**{f"pt_{value}": _flag(_names(value)) for value in PainType.values})
        .values("patient_id", *(f"pt_{value}" for value in PainType.values))
    )
    dosed_intakes = (
        Intake.objects.submitted()
        .filter(pain_medication_doses__isnull=False)
        .annotate(day=TruncDate("submitted_at"))
        .values("id", "patient_id", "submitted_at", "day", "pain_medication_doses")
    )
    # The patient's latest answered check-in with doses (up to the period's end). Its
    # day only grows with submitted_at, so the latest one on or after the plan's start
    # is this one when its day is on or after the start, else there is none.
    check_ins = CheckIn.objects.filter(
        submitted_at__isnull=False, pain_medication_doses__isnull=False
    ).annotate(day=TruncDate("submitted_at"))
    if filters.date_to is not None:
        check_ins = check_ins.filter(day__lte=filters.date_to)
    later_check_in = CheckIn.objects.filter(
        Q(submitted_at__gt=OuterRef("submitted_at"))
        | Q(submitted_at=OuterRef("submitted_at"), pk__gt=OuterRef("pk")),
        patient=OuterRef("patient"),
        pain_medication_doses__isnull=False,
    ).annotate(day=TruncDate("submitted_at"))
    if filters.date_to is not None:
        later_check_in = later_check_in.filter(day__lte=filters.date_to)
    check_ins = check_ins.filter(~Exists(later_check_in)).values(
        "patient_id", "day", doses=F("pain_medication_doses")
    )

    plans_sql, plans_params = _sql(plans)
    intakes_sql, intakes_params = _sql(intakes)
    dosed_sql, dosed_params = _sql(dosed_intakes)
    check_ins_sql, check_ins_params = _sql(check_ins)
    session_filter, session_params = "", ()
    if filters.date_to is not None:
        session_filter, session_params = " AND s.date <= %s", (adapt(filters.date_to),)

    user = get_user_model()
    meets = _meets_sql("n.baseline_pain - n.pain_before", "n.baseline_pain", IMPORTANT_FRACTION)
    measured = f"f.signed >= {MIN_SESSIONS} AND f.baseline_pain >= {IMPORTANT_POINTS}"
    drop = "f.baseline_pain - f.latest_pain"
    important = _meets_sql(drop, "f.baseline_pain", IMPORTANT_FRACTION)
    substantial = _meets_sql(drop, "f.baseline_pain", SUBSTANTIAL_FRACTION)
    overdue_before = adapt(today - datetime.timedelta(days=cadence.OVERDUE_AFTER_DAYS))

    def count(condition: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    improvement = lambda prefix, where="1 = 1": (  # noqa: E731
        f"{count(f'({measured}) AND {where}')} AS {prefix}measured, "
        f"{count(f'({measured}) AND {important} AND {where}')} AS {prefix}important, "
        f"{count(f'({measured}) AND {substantial} AND {where}')} AS {prefix}substantial"
    )
    pain_columns = ", ".join(
        improvement(f"{value}_", f"f.pt_{value} = 1") for value in PainType.values
    )
    rung_columns = ", ".join(
        f"{count('f.status = %s AND f.cadence = %s')} AS rung_{rung}" for rung in cadence.RUNGS
    )
    rung_params = tuple(p for rung in cadence.RUNGS for p in (Plan.Status.ACTIVE, rung))
    compared = "f.doses_before IS NOT NULL AND f.doses_after IS NOT NULL"
    not_measurable = (
        f"f.signed >= {MIN_SESSIONS}"
        f" AND (f.baseline_pain IS NULL OR f.baseline_pain < {IMPORTANT_POINTS})"
    )
    pain_types = ", ".join(f"COALESCE(li.pt_{v}, 0) AS pt_{v}" for v in PainType.values)
    # Only compiled ORM SQL, quoted table names and constants are formatted in; every
    # value is a parameter.
    if _kept_figures_hold(filters, today):
        # Every signed session counts: the figures the plan keeps (plans.figures).
        per_plan, session_params = KEPT_PER_PLAN, ()
    else:
        per_plan = WORKED_OUT_PER_PLAN.format(
            session_table=_table(TreatmentSession),
            plan_session_table=_table(PlanSession),
            session_filter=session_filter,
            slot=SLOT,
            meets=meets,
        )
        session_params = (TreatmentSession.Status.SIGNED, *session_params)
    sql = f"""
WITH counted AS ({plans_sql}),
{per_plan},
dosed_intakes AS ({dosed_sql}),
intake_doses AS (
    -- Before treatment: the last intake with doses submitted by the day of the plan's
    -- first session (none later by then: an anti-join).
    SELECT c.id AS plan_id, i.pain_medication_doses AS doses
    FROM counted c
    LEFT JOIN per_plan p ON p.plan_id = c.id
    JOIN dosed_intakes i
      ON i.patient_id = c.patient_id AND i.day <= COALESCE(p.first_day, %s)
    WHERE NOT EXISTS (
        SELECT 1 FROM dosed_intakes later
        WHERE later.patient_id = i.patient_id
          AND later.day <= COALESCE(p.first_day, %s)
          AND (later.submitted_at > i.submitted_at
               OR (later.submitted_at = i.submitted_at AND later.id > i.id))
    )
),
plan_rows AS (
    SELECT c.practitioner_id, c.status, c.cadence, c.next_due, c.non_responder,
           c.baseline_pain, {pain_types},
           COALESCE(p.signed, 0) AS signed, p.latest_pain, p.first_reached,
           COALESCE(i.doses, p.first_session_doses) AS doses_before,
           CASE
               WHEN k.doses IS NOT NULL
                    AND (i.doses IS NOT NULL OR k.day > p.first_session_day)
                    AND (p.last_session_day IS NULL OR k.day > p.last_session_day)
                   THEN k.doses
               WHEN p.last_session_doses IS NOT NULL
                    AND (i.doses IS NOT NULL OR p.dosed_again = 1)
                   THEN p.last_session_doses
           END AS doses_after
    FROM counted c
    LEFT JOIN per_plan p ON p.plan_id = c.id
    LEFT JOIN ({intakes_sql}) li ON li.patient_id = c.patient_id
    LEFT JOIN intake_doses i ON i.plan_id = c.id
    LEFT JOIN ({check_ins_sql}) k ON k.patient_id = c.patient_id AND k.day >= c.start_date
)
SELECT f.practitioner_id, u.first_name, u.last_name, u.username,
       CASE WHEN {measured} THEN f.first_reached END AS first_reached,
       COUNT(*) AS patients,
       {count("f.status = %s")} AS active,
       {count(not_measurable)} AS not_measurable,
       {improvement("")},
       {pain_columns},
       {count(compared)} AS compared,
       {count(f"{compared} AND f.doses_after < f.doses_before")} AS fell,
       {count(f"{compared} AND f.doses_after > f.doses_before")} AS rose,
       {count("f.non_responder = 1")} AS non_responders,
       {count("f.status = %s AND f.next_due < %s")} AS overdue,
       {rung_columns}
FROM plan_rows f
JOIN {_table(user)} u ON u.{connection.ops.quote_name(user._meta.pk.column)} = f.practitioner_id
{pain_filter}
GROUP BY f.practitioner_id, u.first_name, u.last_name, u.username,
         CASE WHEN {measured} THEN f.first_reached END
"""  # noqa: S608  # nosec B608
    params = (
        *plans_params,
        *session_params,
        *dosed_params,
        adapt(today),
        adapt(today),
        *intakes_params,
        *check_ins_params,
        Plan.Status.ACTIVE,
        Plan.Status.ACTIVE,
        overdue_before,
        *rung_params,
    )
    return sql, params


def _plan_figures(filters: Filters, today: datetime.date) -> list[dict]:
    sql, params = _plan_figures_sql(filters, today)
    # (PostgreSQL runs it without JIT compilation: see DATABASES in settings.)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


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
        sessions = sessions.filter(patient_id__in=_patients_naming(filters.pain_type))
    return sessions


def _adverse_events(filters: Filters) -> dict:
    sessions = _sessions_in_period(filters)
    events = AdverseEvent.objects.filter(session__in=sessions.values("pk"))
    # Per patient first (one hashed pass, not a subquery per session), then over them.
    with_event = Q(pk__in=AdverseEvent.objects.values("session_id"))
    with_bleeding = Q(
        pk__in=AdverseEvent.objects.filter(kind__in=BLEEDING_KINDS).values("session_id")
    )
    by_session = (
        sessions.values("patient_id")
        .annotate(
            n=Count("pk"),
            any_event=Max(_flag(with_event)),
            bleeding=Max(_flag(with_bleeding)),
        )
        .order_by()
        .aggregate(
            sessions=Coalesce(Sum("n"), 0),
            treated=Count("patient_id"),
            ae_patients=Coalesce(Sum("any_event"), 0),
            bleeding_patients=Coalesce(Sum("bleeding"), 0),
        )
    )
    by_event = events.aggregate(
        **{f"type_{kind}": Count("pk", filter=Q(kind=kind)) for kind in AdverseEventType.values},
        **{f"severity_{grade}": Count("pk", filter=Q(severity=grade)) for grade in Severity.values},
    )
    return {**by_session, **by_event}


# --- Everything ----------------------------------------------------------------------------


GROUP_KEYS = ("practitioner_id", "first_name", "last_name", "username", "first_reached")
IMPROVEMENT_ZERO = {"measured": 0, "important": 0, "substantial": 0}


def _practitioner_name(row: dict) -> str:
    full = f"{row['first_name']} {row['last_name']}".strip()
    return full or row["username"]


def clinic_outcomes(filters: Filters, *, today: datetime.date | None = None) -> Outcomes:
    """The clinic's outcomes for these filters, in three queries whatever the number of
    patients."""
    today = today or timezone.localdate()
    groups = _plan_figures(filters, today)
    counted = [key for key in groups[0] if key not in GROUP_KEYS] if groups else []
    totals = {key: sum(row[key] for row in groups) for key in counted}
    totals = defaultdict(int, totals)
    # How many sessions it took each patient to first meet the rule, as a histogram:
    # its size is bounded by the number of sessions of a plan, not of patients.
    histogram = defaultdict(int)
    practitioners = {}
    for row in groups:
        if row["first_reached"] is not None:
            histogram[row["first_reached"]] += row["patients"]
        if row["measured"]:
            held = practitioners.setdefault(
                row["practitioner_id"], {"name": _practitioner_name(row), **IMPROVEMENT_ZERO}
            )
            for key in IMPROVEMENT_ZERO:
                held[key] += row[key]
    ae = _adverse_events(filters)

    by_practitioner = sorted(
        (_improvement(held["name"], held) for held in practitioners.values()),
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
        by_practitioner=by_practitioner,
        reached=sum(histogram.values()),
        median_sessions=median(histogram.items()),
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
