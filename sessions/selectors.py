"""Reads the session pages need, each in a fixed number of queries."""

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects

from intake.models import Intake, Patient
from intake.selectors import latest_submitted_intake
from scheduling.models import Appointment
from sessions import points as point_codes
from sessions.models import ADVERSE_EVENT_FIELDS, Point, Protocol, TreatmentSession
from sessions.safety import Finding, Rule, Screening, check_session

# The safety cautions the chart shows above the patient's sessions.
CHART_CAUTIONS = frozenset({Rule.BLEEDING_RISK, Rule.FAINTING, Rule.DIABETES})


@dataclass(frozen=True)
class SessionContext:
    """What the session form checks and shows about the patient."""

    # The last submitted intake's safety answers; None when there is none.
    screening: Screening | None
    # The intake names headaches or migraine: the form asks for headache days.
    has_headaches: bool
    # The previous session (signed or draft, not discarded), for pre-filling.
    previous: TreatmentSession | None
    # The intake's safety badges, as the chart shows them.
    flags: tuple[str, ...] = ()


def screening_from(intake: Intake | None) -> Screening | None:
    if intake is None:
        return None
    return Screening(
        pregnant=intake.pregnant,
        pregnancy_weeks=intake.pregnancy_weeks,
        pacemaker=intake.pacemaker,
        bleeding_disorder=intake.bleeding_disorder,
        anticoagulants=intake.anticoagulants,
        epilepsy=intake.epilepsy,
        diabetes=intake.diabetes,
        fainting=intake.fainting,
        skin_problem=intake.skin_problem,
        metal_implant=intake.metal_implant,
    )


def patient_screening(patient: Patient) -> Screening | None:
    """The safety answers of the patient's last submitted intake; None when there is
    none (1 query)."""
    return screening_from(latest_submitted_intake(patient))


def session_findings(session: TreatmentSession) -> list[Finding]:
    """The safety rules that apply to the session's points and modalities, for the
    patient's screening as it stands now."""
    return check_session(
        patient_screening(session.patient), session.point_list(), session.modalities
    )


def previous_session(patient: Patient, *, before: TreatmentSession | None = None):
    """The patient's latest session other than `before`, with its points."""
    sessions = (
        patient.treatment_sessions.exclude(status=TreatmentSession.Status.DISCARDED)
        .prefetch_related("needled_points__point")
        .order_by("-date", "-created_at")
    )
    if before is not None:
        sessions = sessions.exclude(pk=before.pk).filter(date__lte=before.date)
    return sessions.first()


def session_context(patient: Patient, *, session: TreatmentSession | None = None):
    intake = latest_submitted_intake(patient)
    return SessionContext(
        screening=screening_from(intake),
        has_headaches=bool(intake and intake.has_headaches),
        previous=previous_session(patient, before=session),
        flags=tuple(intake.safety_flags()) if intake else (),
    )


def adverse_event_rows(session: TreatmentSession | None) -> list[dict]:
    """The session's adverse events as the form's rows (none for a new session)."""
    if session is None:
        return []
    return [
        {name: getattr(event, name) for name in ADVERSE_EVENT_FIELDS}
        for event in session.adverse_events.all()
    ]


def with_note_parts(session: TreatmentSession) -> TreatmentSession:
    """The session with everything its page shows: points, adverse events, safety
    acknowledgements and addenda, with who wrote them (7 queries at most)."""
    prefetch_related_objects(
        [session],
        "needled_points__point",
        "adverse_events",
        "safety_acknowledgements__acknowledged_by",
        "addenda__created_by",
    )
    return session


def active_protocols() -> list[Protocol]:
    """The protocols offered on the session form."""
    return list(Protocol.objects.filter(is_active=True).only("code", "name", "points"))


def all_protocols():
    return Protocol.objects.all()


def point_reference() -> list[list]:
    """[code, pinyin, meridian name, 1 if it takes a side (L / R) else 0] for every
    WHO point, then every extra point with its region for a meridian ("Extra points:
    head and neck"): the completion's data (it offers "GB20 L" and "GB20 R" only for
    points that take a side)."""
    return [
        [
            code,
            pinyin,
            point_codes.GROUP_NAMES[meridian],
            int(point_codes.default_side(code) == point_codes.BILATERAL),
        ]
        for code, pinyin, meridian in Point.objects.values_list("code", "pinyin", "meridian")
    ]


# The point list as a static file (write_point_list): the completion fetches it once
# and the browser keeps it, under a name that changes with its content.
POINT_LIST_STATIC = "sessions/points.json"
POINT_LIST_FILE = Path(__file__).resolve().parent / "static" / POINT_LIST_STATIC


def point_list_json() -> str:
    """point_reference() as the static file holds it: one point a line."""
    rows = ",\n".join(json.dumps(row, ensure_ascii=False) for row in point_reference())
    return f"[\n{rows}\n]\n"


def chart_sessions(patient: Patient, intake: Intake | None, page_number) -> dict:
    """The chart's session list, newest first, a page at a time, and its safety banner.

    `intake` is the patient's last submitted intake, already loaded by the chart.
    """
    sessions = patient.treatment_sessions.for_chart()
    page = Paginator(sessions, settings.SESSIONS_PER_PAGE).get_page(page_number)
    # The cautions that hold whatever the session: bleeding risk, fainting, diabetes.
    cautions = [
        finding
        for finding in check_session(screening_from(intake), (), ())
        if finding.rule in CHART_CAUTIONS
    ]
    return {"show_sessions": True, "sessions_page": page, "session_cautions": cautions}


def stale_drafts(user, *, limit: int) -> list[TreatmentSession]:
    """The user's drafts left unsigned for over a day, oldest first, at most `limit`."""
    return list(
        TreatmentSession.objects.stale_drafts(user=user)
        .select_related("patient")
        .order_by("created_at")[:limit]
    )


def patient_visit(patient: Patient, code) -> Appointment | None:
    """The patient's visit with this code, with its practitioner (the one a new
    session is started from); None for a code that is not one of theirs."""
    if not code:
        return None
    try:
        code = uuid.UUID(str(code))
    except ValueError:
        return None
    return patient.appointments.select_related("practitioner").filter(code=code).first()
