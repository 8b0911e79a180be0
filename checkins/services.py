"""Making, sending, stopping and answering check-ins (docs/clinical-rules.md section 1).

A check-in's link works like an intake link (intake.services): its token is random,
shown or sent once, and only its SHA-256 is stored. The token is minted when the
link is shown to staff (checkin_link) or when the worker sends the message
(messaging.links calls make_message_link), never when the message is queued: the
outbox never holds a token.
"""

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from checkins.models import CheckIn
from intake.models import Patient
from intake.selectors import latest_submitted_intake
from intake.services import token_hash
from messaging import compose, links
from messaging.models import Message
from messaging.services import Queued, message_queue

AUTOMATIC = (CheckIn.Reason.REVIEW_DATE, CheckIn.Reason.SESSIONS)

# The answers a patient gives, each with its range (as the database constraints).
RANGES = {
    "pain_now": (0, 10),
    "pain_worst": (0, 10),
    "psfs_score_1": (0, 10),
    "psfs_score_2": (0, 10),
    "psfs_score_3": (0, 10),
    "pain_medication_doses": (0, 200),
    "headache_days": (0, 30),
    "pgic": (1, 7),
}


class CheckInRefused(Exception):
    """A check-in cannot be made (or its link shown): the message says why, in words
    staff can act on."""


class CheckInClosed(Exception):
    """The check-in was answered, stopped or has expired: nothing more can be done
    through its link."""


class InvalidAnswers(Exception):
    """Answers out of range, missing, or for a question the check-in does not ask.
    `errors` maps each field to a message for the patient."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(f"invalid answers: {sorted(errors)}")
        self.errors = errors


def _open(patient: Patient):
    """The patient's check-in that is neither answered nor stopped (expired or not):
    the one the database allows at a time."""
    return patient.check_ins.filter(submitted_at__isnull=True, revoked_at__isnull=True)


def _stop(check_ins, at) -> int:
    # Saved one by one (there is at most one) so the audit trail records each.
    stopped = list(check_ins)
    for check_in in stopped:
        check_in.revoked_at = at
        check_in.save(update_fields=["revoked_at"])
    return len(stopped)


@transaction.atomic
def checkin_create(patient: Patient, *, by: User | None, reason: str, now=None) -> CheckIn | None:
    """A new check-in for the patient, asking about the activities they named in
    their last submitted intake (and headache days if they have headaches).

    Refused (CheckInRefused) for an archived chart or a patient with no submitted
    intake. One check-in is open per patient: one asked for by staff (on demand)
    replaces the open one; one the plan asks for (review date, sessions) is not made
    while another waits for answers, and None is returned. An expired one is
    stopped and replaced whatever the reason.
    """
    now = now or timezone.now()
    # Two check-ins made at once (two clicks, a signed session and cron) take turns
    # here, so neither finds "no open check-in" while the other is making one.
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if locked.is_archived:
        raise CheckInRefused("This chart is archived: restore it before asking for a check-in.")
    intake = latest_submitted_intake(locked)
    if intake is None:
        raise CheckInRefused(
            "A check-in asks again what the intake asked: this patient has not "
            "submitted an intake yet."
        )
    current = _open(locked).select_for_update().first()
    if current is not None:
        if reason in AUTOMATIC and current.expires_at > now:
            return None
        _stop([current], now)
    try:
        # In a savepoint: a refusal by the one-open constraint leaves the caller's
        # transaction (a signing, a cron run) usable.
        with transaction.atomic():
            return CheckIn.objects.create(
                patient=locked,
                reason=reason,
                created_by=by,
                created_at=now,
                expires_at=now + CheckIn.VALID_FOR,
                psfs_activity_1=intake.psfs_activity_1,
                psfs_activity_2=intake.psfs_activity_2,
                psfs_activity_3=intake.psfs_activity_3,
                asks_headache_days=intake.has_headaches,
            )
    except IntegrityError:
        # Another check-in was made between our read and our write (possible only
        # where the row lock above is not a real one).
        if reason in AUTOMATIC:
            return None
        raise CheckInRefused(
            "Another check-in was made for this patient at the same moment. "
            "Reload the chart to see it."
        ) from None


def checkin_link(check_in: CheckIn) -> str:
    """A fresh token for the check-in's link, returned once: only its hash is kept,
    and any token made before stops working. Refused (CheckInRefused) once the
    check-in was answered, stopped or has expired."""
    with transaction.atomic():
        locked = CheckIn.objects.select_for_update().get(pk=check_in.pk)
        if not locked.is_open:
            raise CheckInRefused("This check-in is closed: make a new one.")
        token = secrets.token_urlsafe(32)  # 256 bits
        locked.token_hash = token_hash(token)
        locked.save(update_fields=["token_hash"])
    check_in.token_hash = locked.token_hash
    return token


def checkin_path(token: str) -> str:
    return reverse("checkins:checkin_entry", kwargs={"token": token})


@transaction.atomic
def checkin_revoke(patient: Patient, *, by: User) -> int:
    """Stop the patient's open check-in (its link stops working). Returns how many
    were stopped: 0 or 1. `by` is recorded by the audit trail as the request's user."""
    return _stop(_open(patient).select_for_update(), timezone.now())


def checkin_for_token(token: str) -> CheckIn | None:
    """The check-in with this token, closed ones included; None if unknown."""
    if not token or len(token) > 100:
        return None
    return CheckIn.objects.select_related("patient").filter(token_hash=token_hash(token)).first()


def _check_answers(check_in: CheckIn, answers: dict) -> dict:
    asked = {"pain_now", "pain_worst", "pain_medication_doses", "pgic"}
    asked |= {f"psfs_score_{n}" for n in (1, 2, 3) if getattr(check_in, f"psfs_activity_{n}")}
    if check_in.asks_headache_days:
        asked.add("headache_days")
    required = asked - {"pain_medication_doses"}
    errors = {}
    for field, value in answers.items():
        if field not in asked:
            errors[field] = "This question is not part of your check-in."
            continue
        if value is None:
            continue
        low, high = RANGES[field]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[field] = f"Please choose a number from {low} to {high}."
    for field in sorted(required):
        if answers.get(field) is None and field not in errors:
            errors[field] = "Please answer this question."
    if errors:
        raise InvalidAnswers(errors)
    return {field: answers.get(field) for field in asked}


@transaction.atomic
def checkin_submit(check_in: CheckIn, answers: dict) -> CheckIn:
    """Keep the patient's answers. Answered once: a second submission (another tab,
    a double click) is refused with CheckInClosed, as is an expired or stopped
    check-in. Answers out of range, missing or not asked raise InvalidAnswers."""
    # Two submissions at once: the second waits for the first and then finds it closed.
    locked = CheckIn.objects.select_for_update().select_related("patient").get(pk=check_in.pk)
    # A chart archived after the link was made takes no more answers.
    if not locked.is_open or locked.patient.is_archived:
        raise CheckInClosed
    for field, value in _check_answers(locked, answers).items():
        setattr(locked, field, value)
    locked.submitted_at = timezone.now()
    locked.save(update_fields=[*RANGES, "submitted_at"])
    return locked


# --- The message that asks the patient --------------------------------------------


def _message_key(check_in: CheckIn) -> str:
    return f"check_in:{check_in.code}"


def checkin_send(check_in: CheckIn) -> Queued:
    """Queue the message asking the patient for the check-in, by the way they chose
    (or nothing, with the reason, if they want no messages). The link is made when
    the message is sent (make_message_link)."""
    subject, body = compose.render(
        Message.Kind.CHECK_IN,
        {
            "name": compose.greeting_name(check_in.patient),
            "link": links.PLACEHOLDER,
            "until": compose.day_words(check_in.expires_at),
        },
    )
    return message_queue(
        patient=check_in.patient,
        kind=Message.Kind.CHECK_IN,
        key=_message_key(check_in),
        subject=subject,
        body=body,
    )


def make_message_link(message: Message) -> str | None:
    """The link for a check-in message, minted as the worker sends it; None when the
    check-in was answered, stopped or has expired (the message is not sent)."""
    code = message.dedupe_key.removeprefix("check_in:")
    check_in = (
        CheckIn.objects.filter(code=code, patient_id=message.patient_id)
        .select_related("patient")
        .first()
    )
    if check_in is None or not check_in.is_open or check_in.patient.is_archived:
        return None
    token = checkin_link(check_in)
    return settings.SITE_URL.rstrip("/") + checkin_path(token)
