"""Queueing messages to patients, and sending what is due without a worker.

Callers compose the text (scheduling.notices, plans.recalls) and name what it is
about with a key; this app knows patients, not appointments or plans.
"""

import datetime
from collections import Counter
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone

from intake.models import Patient, ReminderChannel
from messaging.channels import sms_enabled
from messaging.models import Message
from messaging.tasks import enqueue_delivery, message_deliver


@dataclass(frozen=True)
class Attachment:
    name: str  # the file name the patient sees; its ending gives the type (".ics")
    content: bytes


@dataclass(frozen=True)
class Queued:
    """What message_queue did: the message (new, or the one already queued under
    the key) or, when nothing was queued, why not, in plain words."""

    message: Message | None
    created: bool = False
    not_queued: str = ""


def recipient_for(patient: Patient) -> tuple[str, str] | tuple[None, str]:
    """(channel, address or number) for messages to the patient, by their choice;
    or (None, why nothing can be sent)."""
    if patient.is_archived:
        return None, "The chart is archived."
    if patient.reminder_channel == ReminderChannel.EMAIL:
        if not patient.email:
            return None, "The patient chose email, but the chart has no email address."
        return Message.Channel.EMAIL, patient.email
    if patient.reminder_channel == ReminderChannel.SMS:
        if not sms_enabled():
            return None, "The patient chose text messages, but text messages are off."
        if not patient.phone:
            return None, "The patient chose text messages, but the chart has no phone number."
        return Message.Channel.SMS, patient.phone
    return None, "The patient asked for no messages."


@transaction.atomic
def message_queue(
    *,
    patient: Patient,
    kind: str,
    key: str,
    subject: str,
    body: str,
    attachment: Attachment | None = None,
) -> Queued:
    """Queue a message to the patient by the channel they chose, to be sent by the
    worker once the caller's transaction commits. A key already queued gives back
    that message (two cron runs or workers at once queue it once); a patient who
    wants no messages, or cannot get them (no address, texts off), gets nothing."""
    channel, recipient = recipient_for(patient)
    if channel is None:
        return Queued(None, not_queued=recipient)
    with_file = attachment is not None and channel == Message.Channel.EMAIL
    # get_or_create inserts in a savepoint and, when the key's unique index refuses
    # a second row (another run queued it meanwhile), reads that one instead.
    message, created = Message.objects.get_or_create(
        dedupe_key=key,
        defaults={
            "patient": patient,
            "kind": kind,
            "channel": channel,
            "recipient": recipient,
            "subject": subject,
            "body": body,
            "attachment_name": attachment.name if with_file else "",
            "attachment": attachment.content if with_file else b"",
        },
    )
    if created:
        transaction.on_commit(partial(enqueue_delivery, message.pk))
    return Queued(message, created=created)


def deliver_due(now: datetime.datetime | None = None) -> Counter:
    """Send every queued message whose time has come (and any whose worker died
    mid-send), one by one, here and now: for `send_reminders --deliver`, set-ups
    without a worker, and tests. Counts what happened (messaging.tasks: sent,
    retry, failed, skipped)."""
    now = now or timezone.now()
    due = list(
        Message.objects.filter(
            status__in=[Message.Status.QUEUED, Message.Status.SENDING], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)
    )
    return Counter(message_deliver(message_id=pk, now=now) for pk in due)
