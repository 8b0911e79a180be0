"""Everything the progress page and the physician's report show of one patient, read
in a fixed number of queries however long the history (docs/clinical-rules.md
section 1 for the measures, section 6 for the baseline and the cadence).

The figures:

- **Baseline**: the plan's (the one shown: the active plan, else the latest one),
  as the cadence policy defines it; without a plan, what a plan started now would
  take (the intake's pain now, else the first session's pain before).
- **Current**: the latest signed session's pain before, or the pain now of a
  check-in answered on a later day (a check-in on the day of a session gives way to
  the session's score, which the practitioner recorded).
- **Then and now** for medication doses and headache days: then is the intake's
  answer, now the newest answer of a signed session or a check-in (a check-in on the
  day of a session gives way to the session).
"""

import datetime
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import F, Prefetch
from django.utils import timezone

from checkins.models import CheckIn
from intake.models import Intake, Patient
from plans import cadence
from plans.models import Plan
from plans.selectors import derive_baseline, plan_outcome
from progress.figures import PSFS_IMPORTANT_POINTS, PainChange
from sessions.models import AdverseEvent, TreatmentSession


@dataclass(frozen=True)
class SessionRow:
    code: str
    date: datetime.date
    pain_before: int
    pain_after: int | None
    doses: int | None
    headache_days: int | None
    adverse_events: int
    in_plan: bool  # counted in the plan shown


@dataclass(frozen=True)
class CheckInRow:
    code: str
    date: datetime.date  # the local day it was answered
    submitted_at: datetime.datetime
    pain_now: int | None
    pain_worst: int | None
    psfs_mean: float | None
    doses: int | None
    headache_days: int | None
    pgic: int | None
    pgic_label: str


@dataclass(frozen=True)
class Reading:
    """One answer with where and when it was given."""

    value: int
    date: datetime.date
    source: str  # "intake", "session" or "check-in"


@dataclass(frozen=True)
class ThenNow:
    """A measure at intake against its newest answer since."""

    then: Reading | None
    now: Reading | None

    @property
    def change(self) -> int | None:
        if self.then is None or self.now is None:
            return None
        return self.now.value - self.then.value

    @property
    def known(self) -> bool:
        return self.then is not None or self.now is not None


@dataclass(frozen=True)
class PsfsItem:
    activity: str  # the patient's own words
    then: int | None
    now: int | None

    @property
    def change(self) -> int | None:
        return None if self.then is None or self.now is None else self.now - self.then


@dataclass(frozen=True)
class Psfs:
    """Patient-Specific Functional Scale: higher is better (0 unable, 10 as before)."""

    items: tuple[PsfsItem, ...]
    then_mean: Fraction | None
    now_mean: Fraction | None
    then_date: datetime.date | None
    now_date: datetime.date | None

    @property
    def change(self) -> Fraction | None:
        if self.then_mean is None or self.now_mean is None:
            return None
        return self.now_mean - self.then_mean

    @property
    def important(self) -> bool:
        """A rise of at least 2 points in the mean (Stratford 1995)."""
        return self.change is not None and self.change >= PSFS_IMPORTANT_POINTS

    @property
    def known(self) -> bool:
        return bool(self.items)


@dataclass(frozen=True)
class Pgic:
    value: int
    label: str
    date: datetime.date

    @property
    def responder(self) -> bool:
        """ "Much" or "very much improved": the usual definition of a responder."""
        return self.value <= CheckIn.Pgic.MUCH_IMPROVED


@dataclass(frozen=True)
class AdverseEventRow:
    date: datetime.date
    session_code: str
    kind: str
    kind_label: str
    severity: str
    severity_label: str


@dataclass(frozen=True)
class CurrentPlan:
    code: str
    is_active: bool
    status_label: str
    start_date: datetime.date
    ended_on: datetime.date | None
    practitioner: str
    cadence: str  # a cadence.Rung value
    cadence_words: str  # "Every 2 weeks"
    on_hold: bool
    reason: str  # why the cadence is what it is, in plain words
    next_due: datetime.date | None
    review_date: datetime.date | None
    review_due: bool
    course_estimate: int
    session_count: int
    baseline_source_label: str
    home_care: tuple[str, ...]
    home_care_notes: str
    referrals: tuple[str, ...]
    referral_notes: str


@dataclass(frozen=True)
class Progress:
    """One patient's progress, as of `today`."""

    today: datetime.date
    baseline: int | None
    baseline_source_label: str
    current: int | None
    current_date: datetime.date | None
    current_source: str  # "session", "check-in" or ""
    change: PainChange
    best: int | None  # the lowest pain before so far
    threshold: int | None  # the pain at or below which the improvement is important
    sessions: tuple[SessionRow, ...]  # signed, oldest first
    check_ins: tuple[CheckInRow, ...]  # answered, oldest first
    first_session: datetime.date | None
    last_session: datetime.date | None
    psfs: Psfs
    doses: ThenNow  # pain-medication doses in the last 7 days
    headache_days: ThenNow  # days with a headache in the last 30 days
    pgic: Pgic | None
    adverse_events: tuple[AdverseEventRow, ...]
    plan: CurrentPlan | None
    outcome: cadence.Outcome | None  # the plan's cadence replay
    flags: tuple[tuple[str, str], ...]  # (code, words)

    @property
    def session_count(self) -> int:
        return len(self.sessions)

    @property
    def course_estimate(self) -> int | None:
        return self.plan.course_estimate if self.plan else None

    @property
    def change_words(self) -> str:
        """The change in pain in clinical words: "−4 points, −57%" (a drop is
        written with a minus, as the numbers go down)."""
        change = self.change
        if not change.known:
            return ""
        if change.points == 0:
            return "no change"
        sign = "−" if change.points > 0 else "+"
        points = abs(change.points)
        words = f"{sign}{points} point{'s' if points != 1 else ''}"
        if change.percent is not None:
            words += f", {sign}{abs(change.percent)}%"
        return words

    @property
    def verdict(self) -> str:
        """Whether the pain improved, by docs/clinical-rules.md section 1."""
        change = self.change
        if not change.known:
            return ""
        if change.substantial:
            return "clinically important and substantial improvement"
        if change.important:
            return "clinically important improvement"
        if self.threshold is None:
            return "a baseline below 2 leaves no room for a clinically important drop"
        if change.points > 0:
            return (
                f"improved, not yet clinically important (that needs {self.threshold}/10 "
                "or lower: at least 2 points and 30%)"
            )
        if change.points == 0:
            return "no improvement"
        return "worse than at baseline"


def improvement_threshold(baseline: int | None) -> int | None:
    """The highest pain that is both 2 points and 30% below the baseline; None when no
    such score exists (a baseline below 2)."""
    if baseline is None:
        return None
    needed = max(2, -(-3 * baseline // 10))  # ceil(0.3 * baseline), exactly
    threshold = baseline - needed
    return threshold if threshold >= 0 else None


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _newest(session: tuple[datetime.date, int] | None, check_in: tuple[datetime.date, int] | None):
    """The newer reading; a check-in must be on a later day than the session."""
    if session is None and check_in is None:
        return None
    if check_in is None or (session is not None and session[0] >= check_in[0]):
        return Reading(session[1], session[0], "session")
    return Reading(check_in[1], check_in[0], "check-in")


def _latest(rows, field: str):
    """(date, value) of the last row whose `field` is answered."""
    for row in reversed(rows):
        value = getattr(row, field)
        if value is not None:
            return row.date, value
    return None


def _baseline_intake(intakes: list[Intake], first: datetime.date | None) -> Intake | None:
    """The intake "then" refers to: the last submitted by the first session's day (the
    latest, before any session). None when every intake came after treatment began."""
    if not intakes:
        return None
    if first is None:
        return intakes[-1]
    before = [i for i in intakes if _local_day(i.submitted_at) <= first]
    return before[-1] if before else None


def _same_activity(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _psfs(intake: Intake | None, check_ins: list[CheckIn]) -> Psfs:
    """Each activity of the intake against the latest check-in's rating of the same
    activity (matched by the patient's words, not by slot: a later intake may name other
    activities). The means are taken over the activities rated both times, so they compare
    like with like; without a check-in, "then" is the intake's own mean."""
    latest = next(
        (
            c
            for c in reversed(check_ins)
            if any(s is not None for s in (c.psfs_score_1, c.psfs_score_2, c.psfs_score_3))
        ),
        None,
    )
    rated_now = []
    if latest is not None:
        for n in (1, 2, 3):
            activity = getattr(latest, f"psfs_activity_{n}")
            if activity:
                rated_now.append((activity, getattr(latest, f"psfs_score_{n}")))
    items = []
    matched = set()
    for n in (1, 2, 3):
        activity = getattr(intake, f"psfs_activity_{n}") if intake else ""
        if not activity:
            continue
        then = getattr(intake, f"psfs_score_{n}")
        now = None
        for index, (words, score) in enumerate(rated_now):
            if index not in matched and _same_activity(words, activity):
                matched.add(index)
                now = score
                break
        if then is None and now is None:
            continue
        items.append(PsfsItem(activity, then, now))
    items += [
        PsfsItem(words, None, score)
        for index, (words, score) in enumerate(rated_now)
        if index not in matched and score is not None
    ]

    def mean(scores):
        scores = [s for s in scores if s is not None]
        return Fraction(sum(scores), len(scores)) if scores else None

    if latest is None:
        then_mean, now_mean = mean(i.then for i in items), None
    else:
        pairs = [i for i in items if i.then is not None and i.now is not None]
        then_mean, now_mean = mean(i.then for i in pairs), mean(i.now for i in pairs)
    return Psfs(
        items=tuple(items),
        then_mean=then_mean,
        now_mean=now_mean,
        then_date=_local_day(intake.submitted_at) if intake else None,
        now_date=_local_day(latest.submitted_at) if latest else None,
    )


def patient_progress(patient: Patient, *, today: datetime.date | None = None) -> Progress:
    """The patient's progress in a fixed number of queries (7 with a plan)."""
    today = today or timezone.localdate()
    intakes = list(
        patient.intakes.submitted().exclude(submitted_at=None).order_by("submitted_at", "pk")
    )
    signed = list(
        patient.treatment_sessions.filter(status=TreatmentSession.Status.SIGNED)
        .select_related("plan_link")
        .prefetch_related(Prefetch("adverse_events", queryset=AdverseEvent.objects.order_by("pk")))
        .order_by("date", "signed_at", "pk")
    )
    answered = list(
        CheckIn.objects.filter(patient=patient)
        .exclude(submitted_at=None)
        .order_by("submitted_at", "pk")
    )
    plan = (
        patient.plans.select_related("practitioner")
        .prefetch_related("referrals")
        # The active plan (not ended) first, then the latest started.
        .order_by(F("ended_on").asc(nulls_first=True), "-start_date", "-pk")
        .first()
    )

    plan_sessions = (
        [s for s in signed if getattr(getattr(s, "plan_link", None), "plan_id", None) == plan.pk]
        if plan
        else []
    )
    plan_keys = {s.pk for s in plan_sessions}
    rows = tuple(
        SessionRow(
            code=str(s.code),
            date=s.date,
            pain_before=s.pain_before,
            pain_after=s.pain_after,
            doses=s.pain_medication_doses,
            headache_days=s.headache_days,
            adverse_events=len(s.adverse_events.all()),
            in_plan=s.pk in plan_keys,
        )
        for s in signed
    )
    check_in_rows = tuple(
        CheckInRow(
            code=str(c.code),
            date=_local_day(c.submitted_at),
            submitted_at=c.submitted_at,
            pain_now=c.pain_now,
            pain_worst=c.pain_worst,
            psfs_mean=c.psfs_mean,
            doses=c.pain_medication_doses,
            headache_days=c.headache_days,
            pgic=c.pgic,
            pgic_label=c.get_pgic_display() if c.pgic else "",
        )
        for c in answered
    )

    outcome = None
    if plan is not None and plan.baseline_pain is not None:
        baseline, baseline_label = plan.baseline_pain, plan.get_baseline_source_display()
    else:
        derived = derive_baseline(patient, signed[0] if signed else None)
        baseline, baseline_label = derived.value, derived.source_label
    if plan is not None:
        outcome = plan_outcome(plan, plan_sessions)

    current = _newest(_latest(rows, "pain_before"), _latest(check_in_rows, "pain_now"))
    intake = _baseline_intake(intakes, signed[0].date if signed else None)
    intake_day = _local_day(intake.submitted_at) if intake else None

    def then(field: str, row_field: str) -> Reading | None:
        """The intake's answer before treatment, else the first session's (as the
        outcomes count it)."""
        value = getattr(intake, field) if intake else None
        if value is not None:
            return Reading(value, intake_day, "intake")
        first = next((r for r in rows if getattr(r, row_field) is not None), None)
        return Reading(getattr(first, row_field), first.date, "session") if first else None

    doses = ThenNow(
        then("pain_medication_doses", "doses"),
        _newest(_latest(rows, "doses"), _latest(check_in_rows, "doses")),
    )
    headaches = ThenNow(
        then("headache_days", "headache_days"),
        _newest(_latest(rows, "headache_days"), _latest(check_in_rows, "headache_days")),
    )
    pgic = next(
        (Pgic(c.pgic, c.pgic_label, c.date) for c in reversed(check_in_rows) if c.pgic),
        None,
    )
    adverse = tuple(
        AdverseEventRow(
            date=s.date,
            session_code=str(s.code),
            kind=event.kind,
            kind_label=event.get_kind_display(),
            severity=event.severity,
            severity_label=event.get_severity_display(),
        )
        for s in signed
        for event in s.adverse_events.all()
    )
    change = PainChange(baseline, current.value if current else None)
    return Progress(
        today=today,
        baseline=baseline,
        baseline_source_label=baseline_label,
        current=current.value if current else None,
        current_date=current.date if current else None,
        current_source=current.source if current else "",
        change=change,
        best=min((r.pain_before for r in rows), default=None),
        threshold=improvement_threshold(baseline),
        sessions=rows,
        check_ins=check_in_rows,
        first_session=rows[0].date if rows else None,
        last_session=rows[-1].date if rows else None,
        psfs=_psfs(intake, answered),
        doses=doses,
        headache_days=headaches,
        pgic=pgic,
        adverse_events=adverse,
        plan=_current_plan(plan, outcome, today) if plan else None,
        outcome=outcome,
        flags=tuple((str(code), words) for code, words in outcome.flags) if outcome else (),
    )


def _current_plan(plan: Plan, outcome: cadence.Outcome, today: datetime.date) -> CurrentPlan:
    last_change = outcome.last_change
    if last_change is not None:
        reason = last_change.plain
    else:
        reason = (
            "Visits start every week; they become less frequent as pain before treatment improves."
        )
    return CurrentPlan(
        code=str(plan.code),
        is_active=plan.is_active,
        status_label=plan.get_status_display(),
        start_date=plan.start_date,
        ended_on=plan.ended_on,
        practitioner=str(plan.practitioner),
        cadence=plan.cadence,
        cadence_words=plan.cadence_words,
        on_hold=plan.on_hold,
        reason=reason,
        next_due=plan.next_due if plan.is_active else None,
        review_date=plan.review_date,
        review_due=plan.is_active and plan.review_date is not None and plan.review_date <= today,
        course_estimate=plan.course_estimate,
        session_count=plan.session_count,
        baseline_source_label=plan.get_baseline_source_display(),
        home_care=tuple(plan.advice_labels()),
        home_care_notes=plan.advice_notes,
        referrals=tuple(str(r) for r in plan.referrals.all()),
        referral_notes=plan.referral_notes,
    )


SPARKLINE_SESSIONS = 12


def recent_pain(patient: Patient, *, limit: int = SPARKLINE_SESSIONS):
    """(date, pain before) of the patient's latest signed sessions, oldest first
    (one query): the chart's sparkline."""
    latest = (
        patient.treatment_sessions.filter(status=TreatmentSession.Status.SIGNED)
        .order_by("-date", "-signed_at", "-pk")
        .values_list("date", "pain_before")[:limit]
    )
    return list(reversed(latest))
