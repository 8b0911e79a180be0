"""Reads the session pages need, each in a fixed number of queries."""

from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Paginator

from intake.models import Intake, Patient
from sessions.models import TreatmentSession
from sessions.safety import Rule, Screening, check_session


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


def screening_intake(patient: Patient) -> Intake | None:
    """The intake whose answers clinicians act on: the last one submitted."""
    return patient.intakes.submitted().order_by("-submitted_at").first()


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
        metal_implant=intake.metal_implant,
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
    intake = screening_intake(patient)
    return SessionContext(
        screening=screening_from(intake),
        has_headaches=bool(intake and intake.has_headaches),
        previous=previous_session(patient, before=session),
        flags=tuple(intake.safety_flags()) if intake else (),
    )


def chart_sessions(patient: Patient, intake: Intake | None, page_number) -> dict:
    """The chart's session list, newest first, a page at a time, and its safety banner.

    `intake` is the patient's last submitted intake, already loaded by the chart.
    """
    sessions = patient.treatment_sessions.for_chart()
    page = Paginator(sessions, settings.SESSIONS_PER_PAGE).get_page(page_number)
    cautions = [
        finding
        for finding in check_session(screening_from(intake), (), ())
        if finding.rule == Rule.BLEEDING_RISK
    ]
    return {"show_sessions": True, "sessions_page": page, "session_cautions": cautions}


def stale_drafts(user, *, limit: int) -> list[TreatmentSession]:
    """The user's drafts left unsigned for over a day, oldest first, at most `limit`."""
    return list(
        TreatmentSession.objects.stale_drafts(user=user)
        .select_related("patient")
        .order_by("created_at")[:limit]
    )
