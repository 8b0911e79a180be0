"""Writes to treatment sessions and protocols. Each takes the acting user explicitly.

A session is a draft its author may change; signing makes it read-only for good.
Corrections after that are addenda. Nothing here deletes a session.
"""

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import PractitionerProfile, User
from audit.trail import record_children, row_texts
from intake import body_map
from intake.models import Patient
from intake.services import refuse_archived
from scheduling.models import Appointment
from scheduling.services import appointment_attended
from sessions import points as point_codes
from sessions.models import (
    ADVERSE_EVENT_FIELDS,
    NOTE_FIELDS,
    AdverseEvent,
    Point,
    Protocol,
    SafetyAcknowledgement,
    SessionAddendum,
    SessionPoint,
    TreatmentSession,
)
from sessions.safety import Finding, check_session, refusals, to_acknowledge
from sessions.selectors import patient_screening, session_findings
from sessions.signals import session_signed


class SessionNotEditable(Exception):
    """The session is signed or discarded, or the user is not its author."""


class SigningRefused(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class SafetyRefused(Exception):
    """The points and modalities break a safety rule for this patient (`refused`), or
    warnings that need the practitioner's acknowledgement did not get it
    (`unacknowledged`). `findings` are all the rules that apply."""

    def __init__(
        self,
        findings: list[Finding],
        *,
        refused: list[Finding],
        unacknowledged: list[Finding],
    ):
        super().__init__("; ".join(finding.message for finding in [*refused, *unacknowledged]))
        self.findings = findings
        self.refused = refused
        self.unacknowledged = unacknowledged


class AppointmentLinkRefused(Exception):
    """A session cannot be started from this visit: it is not one of the patient's,
    it is booked with another practitioner, it is cancelled or a no-show, it is on a
    later day, or it has a session already (`session`)."""

    def __init__(self, message: str, *, session: TreatmentSession | None = None):
        super().__init__(message)
        self.session = session


def _lock(session: TreatmentSession) -> TreatmentSession:
    """The session, fresh and locked, with its patient (whose row is not locked)."""
    return (
        TreatmentSession.objects.select_for_update(of=("self",))
        .select_related("patient")
        .get(pk=session.pk)
    )


def refuse_uneditable(session: TreatmentSession, *, user: User) -> None:
    """Raise SessionNotEditable unless the session is a draft of the user's own
    (the caller has the row locked or fresh from the database)."""
    if session.is_signed:
        raise SessionNotEditable(
            "This note is signed and cannot be changed. Add an addendum to correct it."
        )
    if session.is_discarded:
        raise SessionNotEditable("This draft was discarded and cannot be changed.")
    if session.created_by_id != user.pk:
        raise SessionNotEditable("Only the practitioner who started this draft can change it.")


def refuse_new_session(patient: Patient) -> None:
    """Raise ChartArchived when no session may be started on this chart (the caller
    has the row locked or fresh from the database)."""
    refuse_archived(patient, "This chart is archived. Restore it before logging a session.")


def refuse_appointment_link(
    appointment: Appointment | None, *, patient: Patient, user: User
) -> None:
    """Raise AppointmentLinkRefused unless this user may start a new session of this
    patient from this visit (the caller has the row locked or fresh from the
    database; None is a visit that was not found)."""
    if appointment is None or appointment.patient_id != patient.pk:
        raise AppointmentLinkRefused(
            "This visit was not found among the patient's visits. Start the session from "
            "the day's list on your dashboard."
        )
    if not user.has_perm("treatment_sessions.add_treatmentsession"):
        raise AppointmentLinkRefused("Your role cannot log sessions.")
    if appointment.practitioner_id != user.pk:
        raise AppointmentLinkRefused(
            f"This visit is booked with {appointment.practitioner}: only they can start "
            "its session."
        )
    if appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW):
        raise AppointmentLinkRefused(
            f"This visit is marked {appointment.get_status_display().lower()}: no session "
            "can be started from it."
        )
    if timezone.localdate(appointment.starts_at) > timezone.localdate():
        raise AppointmentLinkRefused(
            "This visit is on a later day: start its session on the day of the visit."
        )
    existing = (
        appointment.sessions.exclude(status=TreatmentSession.Status.DISCARDED)
        .order_by("created_at")
        .first()
    )
    if existing is not None:
        raise AppointmentLinkRefused("This visit already has a session note.", session=existing)


def _lock_visit(code: uuid.UUID, *, patient: Patient, user: User) -> Appointment:
    """The visit a new session is started from, locked, once the rules allow it.
    Locked so that a visit cancelled meanwhile is seen cancelled, and two sessions
    started from one visit at once are one session and one refusal."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("practitioner")
        .filter(code=code)
        .first()
    )
    refuse_appointment_link(appointment, patient=patient, user=user)
    return appointment


def _refuse_unsafe(session: TreatmentSession, points, *, acknowledged: bool) -> list[Finding]:
    """The warnings the practitioner accepts now. Raises SafetyRefused when a rule
    forbids the session, or when a warning not accepted on an earlier save is not
    acknowledged now. The screening is the patient's as it stands, whatever the form
    showed (docs/clinical-rules.md#5-safety-rules)."""
    findings = check_session(patient_screening(session.patient), points, session.modalities)
    known = (
        set(session.safety_acknowledgements.values_list("rule", "warning"))
        if session.pk is not None
        else set()
    )
    unacknowledged = [
        finding
        for finding in to_acknowledge(findings)
        if (str(finding.rule), finding.message) not in known
    ]
    refused = refusals(findings)
    if refused or (unacknowledged and not acknowledged):
        raise SafetyRefused(
            findings, refused=refused, unacknowledged=[] if acknowledged else unacknowledged
        )
    return unacknowledged


def _store_points(session: TreatmentSession, points) -> None:
    before = [
        " ".join(filter(None, row))
        for row in session.needled_points.order_by("order").values_list(
            "point__code", "level", "side"
        )
    ]
    after = [" ".join(filter(None, (p.code, p.level, p.side))) for p in points]
    record_children(session, "points", before, after)
    session.needled_points.all().delete()
    by_code = Point.objects.in_bulk([point.code for point in points], field_name="code")
    SessionPoint.objects.bulk_create(
        SessionPoint(
            session=session,
            point=by_code[point.code],
            side=point.side,
            level=point.level,
            order=order,
        )
        for order, point in enumerate(points, start=1)
    )


def _store_acknowledgements(session: TreatmentSession, findings, user: User) -> None:
    """One row per warning accepted now (those accepted on an earlier save are not
    among them)."""
    SafetyAcknowledgement.objects.bulk_create(
        SafetyAcknowledgement(
            session=session, rule=finding.rule, warning=finding.message, acknowledged_by=user
        )
        for finding in findings
    )


@transaction.atomic
def session_save(
    *,
    patient: Patient,
    session: TreatmentSession | None = None,
    data: dict,
    points,
    adverse_events: list[dict],
    safety_acknowledged: bool = False,
    user: User,
    form_token: uuid.UUID | None = None,
    appointment_code: uuid.UUID | None = None,
) -> tuple[TreatmentSession, bool]:
    """Create a draft, or change the user's own draft, with its points and adverse events.

    Refused on an archived chart for a new session (ChartArchived), and for a session
    that is not the user's own draft (SessionNotEditable). The safety rules run against
    the patient's last submitted intake: a session they forbid is refused, and so is
    one with a new warning unless `safety_acknowledged` (SafetyRefused); the warnings
    accepted are stored with who accepted them.

    A new session started from a visit (`appointment_code`) is linked to it, when
    refuse_appointment_link allows (AppointmentLinkRefused); a draft keeps the visit
    it was started from.

    A new session's `form_token` makes the create idempotent: a form sent again
    returns the session the first sending made, unchanged. Returns the session and
    whether it was saved (False for a form sent again).
    """
    if session is None:
        # Archiving the chart while a session is being logged: the session is saved
        # before the chart is archived, or refused.
        patient = Patient.objects.select_for_update().get(pk=patient.pk)
        refuse_new_session(patient)
        if form_token is not None:
            existing = TreatmentSession.objects.filter(form_token=form_token).first()
            if existing is not None:
                return existing, False
        session = TreatmentSession(patient=patient, created_by=user, form_token=form_token)
        if appointment_code is not None:
            session.appointment = _lock_visit(appointment_code, patient=patient, user=user)
    else:
        session = _lock(session)
        refuse_uneditable(session, user=user)
    for field in NOTE_FIELDS:
        if field in data:
            setattr(session, field, data[field])
    # The regions treated as the note keeps them, whatever the caller passed
    # (MarkedRegions or their stored form): each once, in the vocabulary's order.
    # Anything else is a ValueError, and nothing is saved.
    session.regions_treated = body_map.stored(body_map.from_stored(session.regions_treated))
    acknowledged = _refuse_unsafe(session, points, acknowledged=safety_acknowledged)
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError:
        # The same form, sent twice at once: the other request made the session.
        existing = TreatmentSession.objects.filter(form_token=form_token).first()
        if form_token is None or existing is None:
            raise
        return existing, False
    _store_points(session, points)
    record_children(
        session,
        "adverse_events",
        row_texts(session.adverse_events.order_by("pk").values_list(*ADVERSE_EVENT_FIELDS)),
        row_texts([[row[name] for name in ADVERSE_EVENT_FIELDS] for row in adverse_events]),
    )
    session.adverse_events.all().delete()
    AdverseEvent.objects.bulk_create(
        AdverseEvent(session=session, **{name: row[name] for name in ADVERSE_EVENT_FIELDS})
        for row in adverse_events
    )
    _store_acknowledgements(session, acknowledged, user)
    return session, True


def _licence_problem(user: User) -> str | None:
    try:
        profile = user.practitioner_profile
    except PractitionerProfile.DoesNotExist:
        return (
            "You have no acupuncture licence on record, so you cannot sign notes. "
            "Ask the clinic admin to record it."
        )
    if not profile.licence_is_current:
        return (
            f"Your licence ({profile.licensing_body} {profile.licence_number}) expired on "
            f"{profile.licence_expiry:%d %b %Y}. A note can only be signed with a current "
            "licence: ask the clinic admin to record your renewal."
        )
    return None


@dataclass(frozen=True)
class SigningCheck:
    """The note as signing would meet it now."""

    # The safety rules that apply, for the patient's screening as it stands.
    findings: list[Finding]
    # Why the user cannot sign the note; empty when they can.
    problems: list[str]


def signing_check(session: TreatmentSession, *, user: User) -> SigningCheck:
    """The note's safety findings and why this user cannot sign it now: what a
    draft's page shows, the patient's screening looked up once for both."""
    findings = session_findings(session)
    refusal = _who_may_sign(session, user)
    problems = [refusal] if refusal else _note_problems(session, user, findings)
    return SigningCheck(findings=findings, problems=problems)


def signing_problems(session: TreatmentSession, *, user: User) -> list[str]:
    """Why this user cannot sign this note now; empty when they can. The safety rules
    are checked against the patient's last submitted intake."""
    refusal = _who_may_sign(session, user)
    if refusal:
        return [refusal]
    return _note_problems(session, user, session_findings(session))


def _who_may_sign(session: TreatmentSession, user: User) -> str | None:
    """Why this note cannot be signed by this user at all; None when it may be."""
    if session.is_signed:
        return "This note is already signed."
    if session.is_discarded:
        return "This draft was discarded and cannot be signed."
    if session.created_by_id != user.pk:
        return "Only the practitioner who wrote this note can sign it."
    if not user.has_perm("treatment_sessions.sign_treatmentsession"):
        return "Your role cannot sign treatment notes."
    return None


def _note_problems(session: TreatmentSession, user: User, findings: list[Finding]) -> list[str]:
    """What stops the author signing the draft now: their licence, what the note
    lacks, and the safety rules."""
    problems = []
    licence = _licence_problem(user)
    if licence:
        problems.append(licence)
    if session.pain_after is None:
        problems.append("Record the pain after treatment.")
    if session.needles_inserted is None or session.needles_removed is None:
        problems.append("Record the number of needles inserted and removed.")
    elif session.needle_counts_unexplained:
        problems.append(
            f"The needle counts differ ({session.needles_inserted} inserted, "
            f"{session.needles_removed} removed). Record what happened before signing."
        )
    problems.extend(finding.message for finding in refusals(findings))
    accepted = {(ack.rule, ack.warning) for ack in session.safety_acknowledgements.all()}
    if any((str(f.rule), f.message) not in accepted for f in to_acknowledge(findings)):
        problems.append(
            "The safety warnings for this session have not all been acknowledged (the "
            "patient's intake may have changed). Edit the draft, read them and tick the "
            "acknowledgement."
        )
    return problems


@transaction.atomic
def session_sign(*, session: TreatmentSession, user: User) -> TreatmentSession:
    """Sign the note: from now on it is read-only. Raises SigningRefused with every
    reason, the safety rules checked against the patient's last submitted intake.

    The patient's active plan counts the session and replays its cadence (the
    plans app receives `session_signed`, in this transaction). A session started
    from a visit marks the visit attended, in this transaction too.
    """
    session = _lock(session)
    problems = signing_problems(session, user=user)
    if problems:
        raise SigningRefused(problems)
    session.status = TreatmentSession.Status.SIGNED
    session.signed_at = timezone.now()
    session.signed_by = user
    session.save(update_fields=["status", "signed_at", "signed_by", "updated_at"])
    session_signed.send(sender=TreatmentSession, session=session, user=user)
    if session.appointment_id is not None:
        _visit_attended(session, user=user)
    return session


def _visit_attended(session: TreatmentSession, *, user: User) -> None:
    """The visit the session was started from is attended now it is signed. A visit
    marked cancelled or a no-show since the session was started keeps its mark: the
    note is signed all the same (a treatment happened), and the session page shows
    the visit's mark for the front desk to put right."""
    appointment = Appointment.objects.select_for_update().get(pk=session.appointment_id)
    if appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW):
        return
    appointment_attended(appointment=appointment, user=user)


@transaction.atomic
def session_discard(*, session: TreatmentSession, reason: str, user: User) -> TreatmentSession:
    """Set a draft aside (logged in error): kept, marked discarded, never counted."""
    session = _lock(session)
    refuse_uneditable(session, user=user)
    session.status = TreatmentSession.Status.DISCARDED
    session.discarded_at = timezone.now()
    session.discarded_by = user
    session.discard_reason = reason
    session.save(
        update_fields=["status", "discarded_at", "discarded_by", "discard_reason", "updated_at"]
    )
    return session


@transaction.atomic
def addendum_add(*, session: TreatmentSession, text: str, user: User) -> SessionAddendum:
    session = _lock(session)
    if not session.is_signed:
        raise SessionNotEditable("Addenda are for signed notes; a draft can still be edited.")
    return SessionAddendum.objects.create(session=session, text=text, created_by=user)


@transaction.atomic
def protocol_save(*, protocol: Protocol | None = None, data: dict, points, user: User) -> Protocol:
    if protocol is None:
        protocol = Protocol(created_by=user)
    for field in ("name", "description", "is_active"):
        setattr(protocol, field, data[field])
    protocol.points = point_codes.format_points(points)
    protocol.updated_by = user
    protocol.save()
    return protocol
