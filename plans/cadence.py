"""The cadence policy of docs/clinical-rules.md section 6, as plain functions (no database).

replay() takes a plan's baseline, its signed sessions and its practitioners'
decisions, and returns the cadence after each one with the rule and the numbers
behind it. It is a pure function: the same inputs give the same output, so a
back-dated session simply lands in its place when the plan is replayed.

Thresholds are compared as exact fractions (3/8 is 0.375, never 0.37499...).
"""

import datetime
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction


class Rung(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
    MAINTENANCE = "maintenance"

    @property
    def interval(self) -> datetime.timedelta:
        return datetime.timedelta(days=INTERVAL_DAYS[self])

    @property
    def label(self) -> str:
        return RUNG_LABELS[self]

    @property
    def words(self) -> str:
        """How often, in plain words: "every 2 weeks"."""
        return RUNG_WORDS[self]


# Most to least frequent.
RUNGS = (Rung.WEEKLY, Rung.FORTNIGHTLY, Rung.MONTHLY, Rung.MAINTENANCE)
INTERVAL_DAYS = {Rung.WEEKLY: 7, Rung.FORTNIGHTLY: 14, Rung.MONTHLY: 28, Rung.MAINTENANCE: 56}
RUNG_LABELS = {
    Rung.WEEKLY: "Weekly",
    Rung.FORTNIGHTLY: "Fortnightly",
    Rung.MONTHLY: "Monthly",
    Rung.MAINTENANCE: "Maintenance",
}
RUNG_WORDS = {
    Rung.WEEKLY: "every week",
    Rung.FORTNIGHTLY: "every 2 weeks",
    Rung.MONTHLY: "every 4 weeks",
    Rung.MAINTENANCE: "about every 2 months",
}
# A rung's score must be at least this fraction below baseline, and MIN_DROP points.
REQUIRED_RATIO = {
    Rung.WEEKLY: Fraction(0),
    Rung.FORTNIGHTLY: Fraction(3, 10),
    Rung.MONTHLY: Fraction(1, 2),
    Rung.MAINTENANCE: Fraction(7, 10),
}
MIN_DROP = 2
# Below this baseline a 2-point drop cannot happen: the cadence is the practitioner's.
AUTOMATIC_MIN_BASELINE = 2
OVERDUE_AFTER_DAYS = 3
NON_RESPONSE_SESSIONS = 6
COURSE_MIN, COURSE_MAX = 6, 24
DISCHARGE_MAX_SCORE = 1


class Rule(StrEnum):
    FLARE = "flare"
    TAPER = "taper"
    STAY = "stay"
    MANUAL_ONLY = "manual_only"  # baseline below 2: no automatic change
    OVERRIDE = "override"
    HOLD = "hold"
    RELEASE = "release"


RULE_LABELS = {
    Rule.FLARE: "Flare: one step more frequent",
    Rule.TAPER: "Taper: one step less frequent",
    Rule.STAY: "Stays",
    Rule.MANUAL_ONLY: "Stays (automatic tapering is off)",
    Rule.OVERRIDE: "Set by the practitioner",
    Rule.HOLD: "Held by the practitioner",
    Rule.RELEASE: "Hold released",
}


class DecisionKind(StrEnum):
    OVERRIDE = "override"
    HOLD = "hold"
    RELEASE = "release"


class Flag(StrEnum):
    BASELINE_LOW = "baseline_low"
    NON_RESPONSE = "non_response"
    REVIEW_DUE = "review_due"
    DISCHARGE_SUGGESTED = "discharge_suggested"


FLAG_LABELS = {
    Flag.BASELINE_LOW: "automatic tapering off (baseline below 2)",
    Flag.NON_RESPONSE: "no clinically important improvement",
    Flag.REVIEW_DUE: "course estimate reached: review",
    Flag.DISCHARGE_SUGGESTED: "discharge suggested",
}


@dataclass(frozen=True)
class Visit:
    """A signed session: its date and the pain the patient arrived with."""

    key: str
    date: datetime.date
    pain_before: int
    # When it was signed: orders it among items of the same date.
    at: datetime.datetime | None = None


@dataclass(frozen=True)
class Decision:
    """A practitioner's decision: set a rung (override), hold, or release a hold."""

    key: str
    date: datetime.date
    kind: DecisionKind
    rung: Rung | None = None
    reason: str = ""
    # When it was made: orders it among items of the same date.
    at: datetime.datetime | None = None


@dataclass(frozen=True)
class Step:
    """What one session or decision did to the cadence."""

    key: str
    date: datetime.date
    is_session: bool
    pain_before: int | None
    before: Rung  # the cadence in force before it
    after: Rung  # the cadence in force after it
    policy_after: Rung  # what the policy gives; differs from `after` while held
    rule: Rule
    numbers: str  # the rule's arithmetic, for clinicians
    plain: str  # the same in plain words, for anyone
    window: tuple[int, ...]  # pain-before scores in the evidence window before it
    held: bool

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def rule_label(self) -> str:
        return RULE_LABELS[self.rule]


@dataclass(frozen=True)
class Outcome:
    baseline: int | None
    steps: tuple[Step, ...]
    cadence: Rung  # in force now
    policy_cadence: Rung  # what the policy alone gives now
    held: bool
    automatic: bool
    session_count: int
    course_estimate: int
    next_due: datetime.date | None
    flags: tuple[tuple[Flag, str], ...] = field(default=())

    @property
    def last_change(self) -> Step | None:
        return next((step for step in reversed(self.steps) if step.changed), None)

    def has_flag(self, flag: Flag) -> bool:
        return any(code == flag for code, _ in self.flags)


# --- the arithmetic -----------------------------------------------------------------


def drop(baseline: int, score: int) -> int:
    return baseline - score


def percent_below(baseline: int, score: int) -> int:
    """The drop as a whole percentage of the baseline, rounded half up (3 of 8 is 38)."""
    if baseline <= 0:
        return 0
    return (200 * (baseline - score) + baseline) // (2 * baseline)


def meets(rung: Rung, baseline: int, score: int) -> bool:
    """Whether a pain-before score is enough improvement for this rung."""
    if rung == Rung.WEEKLY:
        return True
    d = baseline - score
    return d >= MIN_DROP and baseline > 0 and Fraction(d, baseline) >= REQUIRED_RATIO[rung]


def more_frequent(rung: Rung) -> Rung:
    return RUNGS[max(RUNGS.index(rung) - 1, 0)]


def less_frequent(rung: Rung) -> Rung | None:
    index = RUNGS.index(rung)
    return RUNGS[index + 1] if index + 1 < len(RUNGS) else None


def requirement(rung: Rung) -> str:
    return f"{rung.lower()} needs ≥{int(REQUIRED_RATIO[rung] * 100)}% and ≥{MIN_DROP} points"


def describe_score(baseline: int, score: int) -> str:
    """ "pain before 5/10 is 38% and 3 points below baseline 8/10"."""
    d = baseline - score
    if d < 0:
        return f"pain before {score}/10 is {-d} points above baseline {baseline}/10"
    if d == 0:
        return f"pain before {score}/10 is the same as baseline {baseline}/10"
    return (
        f"pain before {score}/10 is {percent_below(baseline, score)}% and "
        f"{d} point{'s' if d != 1 else ''} below baseline {baseline}/10"
    )


def course_estimate(months_with_pain: int | None) -> int:
    """One session per month the pain has lasted, 6 to 24 (an estimate, not a limit)."""
    return min(max(months_with_pain or 0, COURSE_MIN), COURSE_MAX)


def is_overdue(next_due: datetime.date | None, today: datetime.date) -> bool:
    return next_due is not None and (today - next_due).days > OVERDUE_AFTER_DAYS


def days_overdue(next_due: datetime.date | None, today: datetime.date) -> int:
    return max((today - next_due).days, 0) if next_due is not None else 0


# --- one session ----------------------------------------------------------------------


def _evaluate(rung: Rung, window: list[int], baseline: int) -> tuple[Rung, Rule, str, str]:
    """Apply the first rule that fits to `window` (which ends with the new score)."""
    score = window[-1]
    said = describe_score(baseline, score)
    if not meets(rung, baseline, score):
        to = more_frequent(rung)
        return (
            to,
            Rule.FLARE,
            f"{said}; {requirement(rung)}",
            f"Pain before treatment ({score}/10) was not low enough for visits "
            f"{rung.words}, so visits are now {to.words}.",
        )
    following = less_frequent(rung)
    if following is None:
        return (
            rung,
            Rule.STAY,
            f"{said}; already at the least frequent rung",
            f"Visits stay {rung.words}, the least frequent the plan goes.",
        )
    if len(window) >= 2 and all(meets(following, baseline, s) for s in window[-2:]):
        earlier = window[-2]
        return (
            following,
            Rule.TAPER,
            f"last two pain-before scores {earlier}/10 and {score}/10 are "
            f"{percent_below(baseline, earlier)}% / {drop(baseline, earlier)} points and "
            f"{percent_below(baseline, score)}% / {drop(baseline, score)} points below "
            f"baseline {baseline}/10; {requirement(following)}",
            f"Pain before treatment was well below where it started at two visits in a "
            f"row ({earlier}/10 and {score}/10, from {baseline}/10), so visits can now "
            f"be {following.words}.",
        )
    if len(window) < 2:
        why = f"{said}; one session since the last change, two are needed to taper"
    else:
        why = f"{said}; {requirement(following)} at both of the last two sessions"
    return (
        rung,
        Rule.STAY,
        why,
        f"Visits stay {rung.words} until pain before treatment is lower at two visits in a row.",
    )


# --- the replay -----------------------------------------------------------------------


def replay(
    *,
    baseline: int | None,
    visits: list[Visit] | tuple[Visit, ...],
    decisions: list[Decision] | tuple[Decision, ...] = (),
    months_with_pain: int | None = None,
    start_date: datetime.date | None = None,
) -> Outcome:
    """Replay the plan from the start (weekly) through its sessions and decisions.

    Sessions and decisions are taken in date order. On the same date they follow the
    moment each was recorded (`at`: a session when signed, a decision when made), so a
    hold made in the morning holds that afternoon's visit. Items without a time come
    first, sessions before decisions, in the order given.
    """

    def moment(item) -> float:
        return item.at.timestamp() if item.at is not None else float("-inf")

    order = sorted(
        [(v.date, moment(v), 0, i, v) for i, v in enumerate(visits)]
        + [(d.date, moment(d), 1, i, d) for i, d in enumerate(decisions)],
        key=lambda item: item[:4],
    )
    automatic = baseline is not None and baseline >= AUTOMATIC_MIN_BASELINE
    policy = Rung.WEEKLY  # what the policy gives
    held_rung: Rung | None = None  # the cadence in force while held
    window: list[int] = []
    scores: list[int] = []
    steps: list[Step] = []

    for *_, item in order:
        before = held_rung or policy
        window_before = tuple(window)
        if isinstance(item, Visit):
            score = item.pain_before
            scores.append(score)
            window.append(score)
            if automatic:
                to, rule, numbers, plain = _evaluate(policy, window, baseline)
            else:
                to, rule = policy, Rule.MANUAL_ONLY
                numbers = (
                    f"baseline {baseline}/10 is below {AUTOMATIC_MIN_BASELINE}: a "
                    f"{MIN_DROP}-point drop cannot happen, so the cadence is set by hand"
                    if baseline is not None
                    else "no baseline yet"
                )
                plain = f"Visits stay {policy.words}; the practitioner sets how often."
            if to != policy:
                policy = to
                window = []
            if held_rung is not None and rule in (Rule.FLARE, Rule.TAPER):
                plain = (
                    f"The plan is on hold at {held_rung.words}; without the hold, visits "
                    f"would now be {policy.words}."
                )
            steps.append(
                _step(item, score, before, held_rung, policy, rule, numbers, plain, window_before)
            )
            continue

        reason = f": {item.reason}" if item.reason else ""
        if item.kind == DecisionKind.OVERRIDE and item.rung is not None:
            policy = Rung(item.rung)
            window = []
            if held_rung is not None:
                held_rung = policy
            rule = Rule.OVERRIDE
            numbers = f"set to {policy.lower()} by the practitioner{reason}"
            plain = f"The practitioner set visits to {policy.words}{reason}."
        elif item.kind == DecisionKind.HOLD and held_rung is None:
            held_rung = policy
            rule = Rule.HOLD
            numbers = f"held at {policy.lower()}{reason}"
            plain = f"The practitioner is holding visits at {policy.words}{reason}."
        elif item.kind == DecisionKind.RELEASE and held_rung is not None:
            held_rung = None
            rule = Rule.RELEASE
            numbers = f"hold released; the policy gives {policy.lower()}{reason}"
            plain = f"The hold ended, so visits follow the plan again: {policy.words}."
        else:
            continue  # a hold while held, a release with no hold: nothing to do
        steps.append(
            _step(item, None, before, held_rung, policy, rule, numbers, plain, window_before)
        )

    cadence = held_rung or policy
    estimate = course_estimate(months_with_pain)
    last_visit = max((v.date for v in visits), default=None)
    next_due = last_visit + cadence.interval if last_visit else start_date
    return Outcome(
        baseline=baseline,
        steps=tuple(steps),
        cadence=cadence,
        policy_cadence=policy,
        held=held_rung is not None,
        automatic=automatic,
        session_count=len(scores),
        course_estimate=estimate,
        next_due=next_due,
        flags=tuple(_flags(baseline, scores, cadence, estimate)),
    )


def _step(item, pain_before, before, held_rung, policy, rule, numbers, plain, window) -> Step:
    """The step an item made: `held_rung` and `policy` are the state after it."""
    return Step(
        key=item.key,
        date=item.date,
        is_session=isinstance(item, Visit),
        pain_before=pain_before,
        before=before,
        after=held_rung or policy,
        policy_after=policy,
        rule=rule,
        numbers=numbers,
        plain=plain,
        window=window,
        held=held_rung is not None,
    )


def _flags(baseline, scores: list[int], cadence: Rung, estimate: int):
    if baseline is not None and baseline < AUTOMATIC_MIN_BASELINE:
        yield (
            Flag.BASELINE_LOW,
            f"Baseline pain {baseline}/10 is below {AUTOMATIC_MIN_BASELINE}: automatic "
            f"tapering is off and the practitioner sets the cadence.",
        )
    # Below a baseline of 2 no drop can count as improvement; the baseline flag says so.
    measurable = baseline is not None and baseline >= AUTOMATIC_MIN_BASELINE
    if (
        measurable
        and len(scores) >= NON_RESPONSE_SESSIONS
        and not any(meets(Rung.FORTNIGHTLY, baseline, s) for s in scores)
    ):
        yield (
            Flag.NON_RESPONSE,
            f"No clinically important improvement after {len(scores)} sessions: review "
            f"the plan or refer.",
        )
    if len(scores) >= estimate:
        yield (
            Flag.REVIEW_DUE,
            f"The course estimate of {estimate} sessions is reached ({len(scores)} "
            f"signed): review the plan.",
        )
    if cadence == Rung.MAINTENANCE and len(scores) >= 2 and max(scores[-2:]) <= DISCHARGE_MAX_SCORE:
        yield (
            Flag.DISCHARGE_SUGGESTED,
            f"At maintenance with pain before {scores[-2]}/10 and {scores[-1]}/10 at the "
            f"last two sessions: consider discharge.",
        )
