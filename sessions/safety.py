"""Safety rules checked when a session is saved and signed (docs/clinical-rules.md section 5).

Pure functions, no database: the patient's screening answers from their last
submitted intake, the points and the modalities in, findings out.

An answer of "not sure" is treated as a possible yes: it raises the same warning,
worded as a question, and a possible pacemaker asks for an acknowledgement
(check with the patient first) instead of refusing electroacupuncture outright.
"""

from dataclasses import dataclass
from enum import StrEnum

from sessions.points import JIAJI, LUMBAR_LEVELS, NeedledPoint, level_span

YES = "yes"
NOT_SURE = "not_sure"
ELECTROACUPUNCTURE = "electroacupuncture"


def _points(meridian: str, first: int, last: int) -> set[str]:
    return {f"{meridian}{number}" for number in range(first, last + 1)}


# Traditionally contraindicated in pregnancy; the evidence of harm is weak, so
# these warn and never block.
PREGNANCY_CAUTION_POINTS = frozenset(
    {"LI4", "SP6", "BL60", "BL67", "GB21"}
    | _points("BL", 22, 35)
    | _points("GV", 2, 5)
    | _points("CV", 1, 8)
    | _points("KI", 11, 16)
    | _points("ST", 25, 30)
    # The lumbosacral extra points: Xiajishu (below L3), Yaoyi (beside L4), Yaoyan,
    # Shiqizhui (below L5), Yaoqi (on the sacrum); Jiaji at L1-L5 below. And Zigong,
    # the "uterus" point on the lower abdomen beside CV3, among the points above.
    | {"EX-B5", "EX-B6", "EX-B7", "EX-B8", "EX-B9", "EX-CA1"}
)


def _pregnancy_caution(point: NeedledPoint) -> bool:
    """A pregnancy-caution point; Jiaji when its level or range touches L1-L5 (a
    Jiaji without a level is the whole of it, T1 to L5)."""
    if point.code == JIAJI:
        return bool(LUMBAR_LEVELS.intersection(level_span(point.level)))
    return point.code in PREGNANCY_CAUTION_POINTS


class Level(StrEnum):
    REFUSE = "refuse"  # a form error: the session cannot be saved this way
    ACKNOWLEDGE = "acknowledge"  # the practitioner ticks an acknowledgement to save
    CAUTION = "caution"  # a banner on the form and the chart


class Rule(StrEnum):
    PREGNANCY_POINTS = "pregnancy_points"
    PACEMAKER_ELECTRO = "pacemaker_electro"
    EPILEPSY_ELECTRO = "epilepsy_electro"
    METAL_IMPLANT_ELECTRO = "metal_implant_electro"
    BLEEDING_RISK = "bleeding_risk"
    FAINTING = "fainting"
    DIABETES = "diabetes"
    SKIN_PROBLEM = "skin_problem"
    NO_SCREENING = "no_screening"


@dataclass(frozen=True)
class Screening:
    """The intake's safety answers: "yes", "no", "not_sure" or "" (unanswered)."""

    pregnant: str = ""
    pregnancy_weeks: int | None = None
    pacemaker: str = ""
    bleeding_disorder: str = ""
    anticoagulants: str = ""
    epilepsy: str = ""
    diabetes: str = ""
    fainting: str = ""
    skin_problem: str = ""
    metal_implant: str = ""


@dataclass(frozen=True)
class Finding:
    rule: Rule
    level: Level
    message: str
    points: tuple[str, ...] = ()


def _possible(answer: str) -> bool:
    return answer in (YES, NOT_SURE)


def check_session(
    screening: Screening | None,
    points: tuple[NeedledPoint, ...] | list[NeedledPoint],
    modalities,
) -> list[Finding]:
    """Every rule of docs/clinical-rules.md section 5 that applies, most serious first.

    `screening` is None when the patient has no submitted intake.
    """
    if screening is None:
        return [
            Finding(
                Rule.NO_SCREENING,
                Level.CAUTION,
                "No submitted intake: the safety screening has not been done. Ask about "
                "pregnancy, a pacemaker or implanted device, bleeding disorders and blood "
                "thinners, epilepsy, diabetes, fainting or fear of needles, broken or "
                "infected skin, and metal implants before needling.",
            )
        ]
    electro = ELECTROACUPUNCTURE in modalities
    findings = []

    if electro and screening.pacemaker == YES:
        findings.append(
            Finding(
                Rule.PACEMAKER_ELECTRO,
                Level.REFUSE,
                "Electroacupuncture is not allowed: the patient has a pacemaker or another "
                "implanted electrical device.",
            )
        )
    elif electro and screening.pacemaker == NOT_SURE:
        findings.append(
            Finding(
                Rule.PACEMAKER_ELECTRO,
                Level.ACKNOWLEDGE,
                "The patient was not sure whether they have a pacemaker or implanted "
                "electrical device: confirm there is none before electroacupuncture.",
            )
        )

    caution = tuple(point.label for point in points if _pregnancy_caution(point))
    if caution and _possible(screening.pregnant):
        if screening.pregnant == YES:
            weeks = f" ({screening.pregnancy_weeks} weeks)" if screening.pregnancy_weeks else ""
            who = f"The patient is pregnant{weeks}"
        else:
            who = "The patient may be pregnant"
        findings.append(
            Finding(
                Rule.PREGNANCY_POINTS,
                Level.ACKNOWLEDGE,
                f"{who}: {', '.join(caution)} "
                f"{'is' if len(caution) == 1 else 'are'} traditionally avoided in pregnancy.",
                points=caution,
            )
        )

    if electro and _possible(screening.epilepsy):
        findings.append(
            Finding(
                Rule.EPILEPSY_ELECTRO,
                Level.ACKNOWLEDGE,
                "Epilepsy or seizures"
                + ("" if screening.epilepsy == YES else " (patient not sure)")
                + ": electroacupuncture may provoke a seizure; use with care.",
            )
        )

    if electro and _possible(screening.metal_implant):
        findings.append(
            Finding(
                Rule.METAL_IMPLANT_ELECTRO,
                Level.ACKNOWLEDGE,
                "Metal implant near the painful area"
                + ("" if screening.metal_implant == YES else " (patient not sure)")
                + ": do not pass electrical current across or near the implant.",
            )
        )

    if points and _possible(screening.skin_problem):
        findings.append(
            Finding(
                Rule.SKIN_PROBLEM,
                Level.ACKNOWLEDGE,
                (
                    "Skin infection, rash or broken skin where it hurts"
                    if screening.skin_problem == YES
                    else "Is there a skin infection, rash or broken skin where it hurts? The "
                    "patient was not sure: look before needling"
                )
                + ". Never needle through broken or infected skin; choose points away from it.",
            )
        )

    if _possible(screening.bleeding_disorder) or _possible(screening.anticoagulants):
        reasons = []
        if _possible(screening.bleeding_disorder):
            reasons.append("bleeding disorder")
        if _possible(screening.anticoagulants):
            reasons.append("anticoagulants")
        findings.append(
            Finding(
                Rule.BLEEDING_RISK,
                Level.CAUTION,
                f"Bleeding risk ({' and '.join(reasons)}): superficial needling with fine "
                "needles; press each point after removal.",
            )
        )

    if _possible(screening.fainting):
        findings.append(
            Finding(
                Rule.FAINTING,
                Level.CAUTION,
                (
                    "Faints easily or is afraid of needles"
                    if screening.fainting == YES
                    else "Does the patient faint easily or fear needles? They were not sure"
                )
                + ": treat lying down, with few needles and a short retention at first, and "
                "watch for dizziness.",
            )
        )

    if _possible(screening.diabetes):
        findings.append(
            Finding(
                Rule.DIABETES,
                Level.CAUTION,
                (
                    "Diabetes"
                    if screening.diabetes == YES
                    else "Does the patient have diabetes? They were not sure"
                )
                + ": slower healing and a higher risk of infection; check the skin of the "
                "feet and legs before needling there.",
            )
        )
    return findings


def refusals(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.level == Level.REFUSE]


def to_acknowledge(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.level == Level.ACKNOWLEDGE]
