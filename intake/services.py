"""Writes to patient records and intakes. Staff writes take the acting user explicitly."""

import hashlib
import secrets

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from audit.history import check_version
from audit.trail import record_children, row_texts
from core.concurrency import hold_lock
from core.models import Clinic
from intake.body_map import MarkedRegion, in_vocabulary_order
from intake.duplicates import Identity
from intake.models import (
    CONTACT_FIELDS,
    IDENTITY_FIELDS,
    Intake,
    IntakeInvitation,
    IntakeMedication,
    IntakePainRegion,
    Patient,
    ReminderChannel,
)
from intake.selectors import possible_duplicates

# What the duplicate guard compares (intake.duplicates): a change to any of them on
# an existing chart is checked again.
_GUARDED_FIELDS = ("first_name", "last_name", "date_of_birth", "phone", "email")

_ARCHIVE_FIELDS = [
    "status",
    "archived_at",
    "archived_by",
    "archive_reason",
    "updated_by",
    "updated_at",
]


class ChartArchived(Exception):
    """The chart is archived: nothing new is added to it until it is restored."""

    def __init__(self, message="This chart is archived. Restore it first."):
        super().__init__(message)


def refuse_archived(patient: Patient, message: str | None = None) -> None:
    """Raise ChartArchived for an archived chart (the caller has the row locked or
    fresh from the database)."""
    if patient.is_archived:
        raise ChartArchived(*([message] if message else []))


class PossibleDuplicate(Exception):
    """Charts that may be the same person (intake.duplicates: the same date of birth
    and a similar name, the same phone or the same email). Staff who know it is
    someone else say so (`duplicate_confirmed`), and the save goes ahead."""

    def __init__(self, matches: list[Patient]):
        super().__init__(
            "A chart with the same date of birth and a similar name, phone or email exists."
        )
        self.matches = matches


def _refuse_duplicates(identity: Identity, *, exclude: Patient | None, confirmed: bool) -> None:
    """Raise PossibleDuplicate when a chart may be the person `identity` describes.

    Two registrations of one person sent at the same moment must not both find no
    match and both save: the check and the write that follows run under a lock on
    the date of birth, which every match shares and every such registration takes.
    """
    hold_lock(f"intake.Patient.date_of_birth={identity.date_of_birth.isoformat()}")
    if confirmed:
        return
    matches = possible_duplicates(identity, exclude=exclude)
    if matches:
        raise PossibleDuplicate(matches)


class ReminderChannelError(Exception):
    """The reminder preference names a way the chart has no address for: email
    without an email address, text messages without a phone number. `field` is the
    form field the message belongs to."""

    def __init__(self, message: str, field: str = "reminder_channel"):
        super().__init__(message)
        self.field = field


def refuse_unusable_reminder(patient: Patient) -> None:
    """Raise ReminderChannelError when the chart's reminder preference has nowhere to
    go (the caller has the row locked, with the changes applied)."""
    if patient.reminder_channel == ReminderChannel.EMAIL and not patient.email:
        raise ReminderChannelError(
            "Email reminders need an email address: add it, or choose another way."
        )
    if patient.reminder_channel == ReminderChannel.SMS and not patient.phone:
        raise ReminderChannelError(
            "Text reminders need a phone number: add it, or choose another way."
        )


@transaction.atomic
def patient_create(*, data: dict, created_by: User, duplicate_confirmed: bool = False) -> Patient:
    """Register a patient, unless a chart may be the same person (PossibleDuplicate)."""
    _refuse_duplicates(Identity.from_data(data), exclude=None, confirmed=duplicate_confirmed)
    return Patient.objects.create(**data, created_by=created_by, updated_by=created_by)


@transaction.atomic
def patient_update(
    *,
    patient: Patient,
    data: dict,
    updated_by: User,
    version: int | None = None,
    duplicate_confirmed: bool = False,
) -> Patient:
    """Save demographics. With `version` (the edit form's), refuse a stale edit.

    A change to the names, date of birth, phone or email that makes the chart look
    like another is refused as on registration (PossibleDuplicate), unless staff
    confirmed it is someone else; a save that changes none of them is not checked
    again, so a pair once confirmed as two people stays editable.
    A new reminder preference records who set it and when; one with no address to
    go to (email without an email address) is refused (ReminderChannelError).
    """
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if version is not None:
        check_version(locked, version, data)
    if any(name in data and data[name] != getattr(locked, name) for name in _GUARDED_FIELDS):
        identity = Identity.from_data(
            {name: data.get(name, getattr(locked, name)) for name in _GUARDED_FIELDS}
        )
        _refuse_duplicates(identity, exclude=locked, confirmed=duplicate_confirmed)
    reminder_changed = (
        "reminder_channel" in data and data["reminder_channel"] != locked.reminder_channel
    )
    for field, value in data.items():
        setattr(locked, field, value)
    refuse_unusable_reminder(locked)
    if reminder_changed:
        # The desk records what the patient asked for: the chart says who and when.
        locked.reminder_consent_at = timezone.now()
        locked.reminder_consent_by = updated_by
    locked.updated_by = updated_by
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def patient_archive(*, patient: Patient, reason: str, archived_by: User) -> Patient:
    """Archive a chart. Charts are never deleted; an archived chart can be restored.
    Archiving an archived chart changes nothing."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.is_archived:
        return patient
    patient.status = Patient.Status.ARCHIVED
    patient.archived_at = timezone.now()
    patient.archived_by = archived_by
    patient.archive_reason = reason
    patient.updated_by = archived_by
    patient.save(update_fields=_ARCHIVE_FIELDS)
    return patient


@transaction.atomic
def patient_restore(*, patient: Patient, restored_by: User) -> Patient:
    """Make an archived chart active again (an active chart is left as it is)."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if not patient.is_archived:
        return patient
    patient.status = Patient.Status.ACTIVE
    patient.archived_at = None
    patient.archived_by = None
    patient.archive_reason = ""
    patient.updated_by = restored_by
    patient.save(update_fields=_ARCHIVE_FIELDS)
    return patient


# --- Intake links -----------------------------------------------------------------


def token_hash(token: str) -> str:
    """What is stored of a link's token: its SHA-256, so a database leak opens no intake."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def invitation_for_token(token: str) -> IntakeInvitation | None:
    """The link with this token, revoked and expired ones included; None if unknown."""
    if not token or len(token) > 100:
        return None
    return (
        IntakeInvitation.objects.select_related("intake", "patient")
        .filter(token_hash=token_hash(token))
        .first()
    )


@transaction.atomic
def invitation_create(*, patient: Patient, created_by: User) -> tuple[IntakeInvitation, str]:
    """A new intake link for the patient; the previous one stops working. Refused
    (ChartArchived) for an archived chart.

    Returns the link and its token. The token is not stored: it is shown (and
    emailed) once, and a lost link is replaced by making a new one.
    """
    # One open link per patient: creating two at once waits here instead of
    # failing on the unique constraint.
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    refuse_archived(locked, "This chart is archived: restore it before sending an intake link.")
    now = timezone.now()
    _revoke_open_links(patient, revoked_by=created_by, at=now)
    token = _new_token()
    invitation = IntakeInvitation.objects.create(
        patient=patient,
        token_hash=token_hash(token),
        created_by=created_by,
        created_at=now,
        expires_at=now + IntakeInvitation.VALID_FOR,
    )
    return invitation, token


@transaction.atomic
def invitation_revoke(*, patient: Patient, revoked_by: User) -> int:
    """Stop the patient's open link from working. Returns how many links were revoked."""
    return _revoke_open_links(patient, revoked_by=revoked_by, at=timezone.now())


def _revoke_open_links(patient: Patient, *, revoked_by: User, at) -> int:
    # Saved one by one (there is at most one open link) so the audit trail records each.
    links = list(patient.intake_invitations.select_for_update().filter(revoked_at__isnull=True))
    for link in links:
        link.revoked_at, link.revoked_by = at, revoked_by
        link.save(update_fields=["revoked_at", "revoked_by"])
    return len(links)


def invitation_send_email(*, invitation: IntakeInvitation, link: str) -> None:
    """Email the link to the patient. Raises on a mail server failure (nothing is marked sent)."""
    patient = invitation.patient
    clinic = Clinic.current()
    context = {
        "patient": patient,
        "link": link,
        "expires_at": invitation.expires_at,
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
    }
    send_mail(
        subject=f"Your intake form for {clinic.name}",
        message=render_to_string("intake/email/invitation.txt", context),
        from_email=None,
        recipient_list=[patient.email],
    )
    invitation.emailed_at = timezone.now()
    invitation.save(update_fields=["emailed_at"])


# --- The patient's intake -----------------------------------------------------------

# Submitting copies an invited patient's CONTACT_FIELDS onto the chart. The identity
# fields are not among them: the patient sees those, and tells the clinic if they
# are wrong.

# Steps that must be saved before the intake can be submitted. Daily life (3) and
# medications (4) may be left empty, but the patient must have passed through them.
REQUIRED_STEPS = [1, 2, 3, 4, 5]


class IntakeClosed(Exception):
    """The intake was submitted (or set aside) and can no longer be changed by the patient."""


class IntakeIncomplete(Exception):
    def __init__(self, missing_steps: list[int]):
        super().__init__(f"steps not completed: {missing_steps}")
        self.missing_steps = missing_steps


@transaction.atomic
def intake_open(*, invitation: IntakeInvitation) -> Intake:
    """The intake a link fills in: the patient's open draft, or a new one.

    A new draft starts from the chart's contact details. Opening the link in two
    tabs at once makes one draft (the link's row is locked while deciding).
    """
    invitation = IntakeInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.intake_id is not None:
        return Intake.objects.get(pk=invitation.intake_id)
    patient = invitation.patient
    intake = patient.intakes.filter(status=Intake.Status.DRAFT).order_by("-created_at").first()
    if intake is None:
        intake = Intake.objects.create(
            patient=patient,
            **{field: getattr(patient, field) for field in IDENTITY_FIELDS + CONTACT_FIELDS},
            # A choice already made (by the patient or the desk) is offered again;
            # the default "none" is no one's choice, so the question starts unanswered.
            reminder_channel=patient.reminder_channel if patient.reminder_consent_at else "",
        )
    invitation.intake = intake
    invitation.save(update_fields=["intake"])
    return intake


@transaction.atomic
def intake_start() -> tuple[IntakeInvitation, str]:
    """A new patient's own intake, with a link of its own to come back to it."""
    now = timezone.now()
    intake = Intake.objects.create()
    token = _new_token()
    invitation = IntakeInvitation.objects.create(
        intake=intake,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + IntakeInvitation.VALID_FOR,
    )
    return invitation, token


def _lock_draft(intake: Intake) -> Intake:
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    if intake.status != Intake.Status.DRAFT:
        raise IntakeClosed
    return intake


@transaction.atomic
def intake_save_step(
    *,
    intake: Intake,
    step: int,
    answers: dict,
    regions: list[MarkedRegion] | None = None,
    medications: list[dict] | None = None,
) -> Intake:
    """Save one step's answers to the draft and mark the step done.

    regions (step 2: each with its side and score) and medications (step 4) replace
    what the draft had. Raises IntakeClosed once the intake is submitted.
    """
    intake = _lock_draft(intake)
    for field, value in answers.items():
        setattr(intake, field, value)
    if regions is not None:
        regions = in_vocabulary_order(regions)
        record_children(
            intake,
            "regions",
            [row.mark.audit_text for row in in_vocabulary_order(intake.regions.all())],
            [mark.audit_text for mark in regions],
        )
        intake.regions.all().delete()
        IntakePainRegion.objects.bulk_create(
            IntakePainRegion(intake=intake, region=mark.region, side=mark.side, score=mark.score)
            for mark in regions
        )
    if medications is not None:
        fields = ("name", "dose", "frequency", "for_pain")
        record_children(
            intake,
            "medications",
            row_texts(intake.medications.order_by("pk").values_list(*fields)),
            row_texts([[row.get(name, "") for name in fields] for row in medications]),
        )
        intake.medications.all().delete()
        IntakeMedication.objects.bulk_create(
            IntakeMedication(intake=intake, **row) for row in medications
        )
    if step not in intake.completed_steps:
        intake.completed_steps = sorted([*intake.completed_steps, step])
    intake.save()
    return intake


def intake_missing_steps(intake: Intake) -> list[int]:
    return [step for step in REQUIRED_STEPS if step not in intake.completed_steps]


@transaction.atomic
def intake_submit(
    *,
    intake: Intake,
    consent_to_treatment: bool,
    privacy_acknowledged: bool,
    signature_name: str,
    ip: str | None,
) -> Intake:
    """Submit the intake with the patient's consent. Submitting again changes nothing.

    For an invited patient, changed contact details are copied onto the chart and
    listed on the intake (contact_changes), so the chart says where they came from.
    The reminder preference is copied too, with the time: the patient chose it
    (reminder_consent_by stays empty).
    """
    locked = Intake.objects.select_for_update().get(pk=intake.pk)
    if locked.status != Intake.Status.DRAFT:
        return locked
    missing = intake_missing_steps(locked)
    if missing:
        raise IntakeIncomplete(missing)
    now = timezone.now()
    locked.consent_to_treatment = consent_to_treatment
    locked.privacy_acknowledged = privacy_acknowledged
    locked.signature_name = signature_name
    locked.consented_at = now
    locked.consent_ip = ip or None
    locked.status = Intake.Status.SUBMITTED
    locked.submitted_at = now
    if locked.patient_id is not None:
        patient = Patient.objects.select_for_update().get(pk=locked.patient_id)
        changes = {
            field: [getattr(patient, field), getattr(locked, field)]
            for field in CONTACT_FIELDS
            if getattr(patient, field) != getattr(locked, field)
        }
        reminder_fields = []
        if locked.reminder_channel:
            if patient.reminder_channel != locked.reminder_channel:
                changes["reminder_channel"] = [patient.reminder_channel, locked.reminder_channel]
            # The patient's own answer, given now: the newest consent, even unchanged.
            patient.reminder_channel = locked.reminder_channel
            patient.reminder_consent_at = now
            patient.reminder_consent_by = None
            reminder_fields = ["reminder_channel", "reminder_consent_at", "reminder_consent_by"]
        if changes:
            for field, (_before, after) in changes.items():
                setattr(patient, field, after)
            # No staff member made this change: the chart shows it came from the intake.
            patient.updated_by = None
            patient.version += 1
            patient.save(
                update_fields=list(
                    dict.fromkeys(
                        [*changes, *reminder_fields, "updated_by", "updated_at", "version"]
                    )
                )
            )
        elif reminder_fields:
            patient.save(update_fields=reminder_fields)
        locked.contact_changes = changes
    locked.save()
    return locked


# --- Staff review -------------------------------------------------------------------


class IntakeNotReviewable(Exception):
    pass


@transaction.atomic
def intake_mark_reviewed(*, intake: Intake, reviewed_by: User) -> Intake:
    """Record that a clinician read the submitted intake. Marking it again changes nothing."""
    locked = Intake.objects.select_for_update().get(pk=intake.pk)
    if locked.status == Intake.Status.REVIEWED:
        return locked
    if locked.status != Intake.Status.SUBMITTED or locked.patient_id is None:
        raise IntakeNotReviewable
    locked.status = Intake.Status.REVIEWED
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = reviewed_by
    locked.save(update_fields=["status", "reviewed_at", "reviewed_by", "updated_at"])
    return locked


class RegistrationClosed(Exception):
    """The pending registration was already confirmed or discarded."""


def _lock_pending(intake: Intake) -> Intake:
    locked = Intake.objects.select_for_update().get(pk=intake.pk)
    if not locked.is_pending_registration:
        raise RegistrationClosed
    return locked


@transaction.atomic
def registration_create_patient(
    *, intake: Intake, data: dict, registered_by: User, duplicate_confirmed: bool = False
) -> Patient:
    """Confirm a self-registration as a new patient, with the details staff checked
    (refused as PossibleDuplicate when a chart may be the same person). The patient's
    reminder preference comes along, as given when they submitted, if the chart has
    the address it needs."""
    locked = _lock_pending(intake)
    data = dict(data)
    if _reminder_usable(locked.reminder_channel, data):
        data["reminder_channel"] = locked.reminder_channel
        data["reminder_consent_at"] = locked.submitted_at
    patient = patient_create(
        data=data, created_by=registered_by, duplicate_confirmed=duplicate_confirmed
    )
    return _attach(locked, patient, registered_by)


def _reminder_usable(channel: str, contact: dict) -> bool:
    if channel == ReminderChannel.EMAIL:
        return bool(contact.get("email"))
    if channel == ReminderChannel.SMS:
        return bool(contact.get("phone"))
    return channel == ReminderChannel.NONE


@transaction.atomic
def registration_attach(*, intake: Intake, patient: Patient, registered_by: User) -> Patient:
    """Confirm a self-registration as an existing patient's intake. The chart is unchanged."""
    locked = _lock_pending(intake)
    return _attach(locked, patient, registered_by)


def _attach(intake: Intake, patient: Patient, registered_by: User) -> Patient:
    intake.patient = patient
    intake.registered_at = timezone.now()
    intake.registered_by = registered_by
    intake.save(update_fields=["patient", "registered_at", "registered_by", "updated_at"])
    return patient


@transaction.atomic
def registration_discard(*, intake: Intake, reason: str, discarded_by: User) -> Intake:
    """Set aside a self-registration that is not a patient (a test, a duplicate, spam)."""
    locked = _lock_pending(intake)
    locked.status = Intake.Status.DISCARDED
    locked.discarded_at = timezone.now()
    locked.discarded_by = discarded_by
    locked.discard_reason = reason
    locked.save(
        update_fields=["status", "discarded_at", "discarded_by", "discard_reason", "updated_at"]
    )
    return locked
