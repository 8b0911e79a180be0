"""Writes to treatment sessions and protocols. Each takes the acting user explicitly.

A session is a draft its author may change; signing makes it read-only for good.
Corrections after that are addenda. Nothing here deletes a session.
"""

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import PractitionerProfile, User
from audit.trail import record_children, row_texts
from intake.models import Patient
from sessions import points as point_codes
from sessions.models import (
    NOTE_FIELDS,
    AdverseEvent,
    Point,
    Protocol,
    SafetyAcknowledgement,
    SessionAddendum,
    SessionPoint,
    TreatmentSession,
)
from sessions.safety import Finding, Screening, check_session, refusals, to_acknowledge
from sessions.signals import session_signed

ADVERSE_EVENT_FIELDS = ("kind", "severity", "causality", "action_taken", "notes")


class SessionNotEditable(Exception):
    """The session is signed or discarded, or the user is not its author."""


class SigningRefused(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _lock(session: TreatmentSession) -> TreatmentSession:
    return TreatmentSession.objects.select_for_update().get(pk=session.pk)


def edit_refusal(session: TreatmentSession, user: User) -> str | None:
    """Why this user may not change this session; None when they may."""
    if session.is_signed:
        return "This note is signed and cannot be changed. Add an addendum to correct it."
    if session.is_discarded:
        return "This draft was discarded and cannot be changed."
    if session.created_by_id != user.pk:
        return "Only the practitioner who started this draft can change it."
    return None


def _check_editable(session: TreatmentSession, user: User) -> None:
    refusal = edit_refusal(session, user)
    if refusal:
        raise SessionNotEditable(refusal)


def _store_points(session: TreatmentSession, points) -> None:
    before = [
        f"{code} {side}".strip()
        for code, side in session.needled_points.order_by("order").values_list(
            "point__code", "side"
        )
    ]
    record_children(session, "points", before, [f"{p.code} {p.side}".strip() for p in points])
    session.needled_points.all().delete()
    by_code = Point.objects.in_bulk([point.code for point in points], field_name="code")
    SessionPoint.objects.bulk_create(
        SessionPoint(session=session, point=by_code[point.code], side=point.side, order=order)
        for order, point in enumerate(points, start=1)
    )


def _store_acknowledgements(session: TreatmentSession, findings, user: User) -> None:
    """One row per warning accepted; the same warning accepted again is not repeated."""
    known = set(session.safety_acknowledgements.values_list("rule", "warning"))
    SafetyAcknowledgement.objects.bulk_create(
        SafetyAcknowledgement(
            session=session, rule=finding.rule, warning=finding.message, acknowledged_by=user
        )
        for finding in findings
        if (str(finding.rule), finding.message) not in known
    )


@transaction.atomic
def session_save(
    *,
    patient: Patient,
    session: TreatmentSession | None = None,
    data: dict,
    points,
    adverse_events: list[dict],
    acknowledged: list[Finding],
    user: User,
    form_token: uuid.UUID | None = None,
) -> tuple[TreatmentSession, bool]:
    """Create a draft, or change the user's own draft, with its points and adverse events.

    `acknowledged` are the safety warnings the user ticked to accept. A new session's
    `form_token` makes the create idempotent: a form sent again returns the session
    the first sending made, unchanged. Returns the session and whether it was saved
    (False for a form sent again).
    """
    if session is None and form_token is not None:
        existing = TreatmentSession.objects.filter(form_token=form_token).first()
        if existing is not None:
            return existing, False
    if session is None:
        session = TreatmentSession(patient=patient, created_by=user, form_token=form_token)
    else:
        session = _lock(session)
        _check_editable(session, user)
    for field in NOTE_FIELDS:
        if field in data:
            setattr(session, field, data[field])
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


def signing_problems(
    session: TreatmentSession, *, user: User, screening: Screening | None
) -> list[str]:
    """Why this user cannot sign this note now; empty when they can."""
    if session.is_signed:
        return ["This note is already signed."]
    if session.is_discarded:
        return ["This draft was discarded and cannot be signed."]
    if session.created_by_id != user.pk:
        return ["Only the practitioner who wrote this note can sign it."]
    if not user.has_perm("treatment_sessions.sign_treatmentsession"):
        return ["Your role cannot sign treatment notes."]
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
    findings = check_session(screening, session.point_list(), session.modalities)
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
def session_sign(
    *, session: TreatmentSession, user: User, screening: Screening | None
) -> TreatmentSession:
    """Sign the note: from now on it is read-only. Raises SigningRefused with every reason.

    The patient's active plan counts the session and replays its cadence (the
    plans app receives `session_signed`, in this transaction).
    """
    session = _lock(session)
    problems = signing_problems(session, user=user, screening=screening)
    if problems:
        raise SigningRefused(problems)
    session.status = TreatmentSession.Status.SIGNED
    session.signed_at = timezone.now()
    session.signed_by = user
    session.save(update_fields=["status", "signed_at", "signed_by", "updated_at"])
    session_signed.send(sender=TreatmentSession, session=session, user=user)
    return session


@transaction.atomic
def session_discard(*, session: TreatmentSession, reason: str, user: User) -> TreatmentSession:
    """Set a draft aside (logged in error): kept, marked discarded, never counted."""
    session = _lock(session)
    _check_editable(session, user)
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
