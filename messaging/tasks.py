"""What the worker runs (django-tasks, `manage.py db_worker`): delivering one
message. Never called inside a web request: a request only queues
(messaging.services.message_queue)."""

import copy
import datetime
import logging
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task

from audit.models import AuditEntry
from audit.trail import record
from messaging import channels, links
from messaging.models import Message

logger = logging.getLogger(__name__)

# How long a claim on a message lasts: far longer than a send may take (EMAIL_TIMEOUT,
# messaging.sms.TIMEOUT_SECONDS), so only a worker that died mid-send lets it lapse,
# and the message is tried again.
CLAIM = datetime.timedelta(minutes=15)

# What message_deliver did, as the task's result and deliver_due's counts.
SENT, RETRY, FAILED, SKIPPED = "sent", "retry", "failed", "skipped"


@task()
def deliver_message(message_id: int) -> str:
    """Send one queued message (see message_deliver)."""
    return message_deliver(message_id=message_id, now=timezone.now())


def enqueue_delivery(message_id: int, run_after: datetime.datetime | None = None) -> None:
    """Ask the worker to deliver the message (at `run_after`, or as soon as it can)."""
    if run_after is None:
        deliver_message.enqueue(message_id)
    else:
        deliver_message.using(run_after=run_after).enqueue(message_id)


def message_deliver(*, message_id: int, now: datetime.datetime) -> str:
    """Claim the message, send it, and record what happened: SENT (with an audit
    entry), RETRY (queued again after the next wait of MESSAGE_RETRY_MINUTES),
    FAILED (no tries left, or one that cannot succeed), or SKIPPED (not due at
    `now`, already sent, or being sent by another worker)."""
    message = _claim(message_id, now)
    if message is None:
        return SKIPPED
    try:
        # A private link is minted now, into the text sent only: the stored text
        # keeps its placeholder (messaging.links).
        outgoing = copy.copy(message)
        outgoing.body = links.body_to_send(message)
        channels.send(outgoing)
    except links.LinkGone:
        return _record_failure(
            message, now, "Not sent: no longer needed (answered or stopped)", permanent=True
        )
    except channels.SendError as error:
        return _record_failure(message, now, str(error), permanent=error.permanent)
    except Exception as error:
        # Whatever the reason (a provider's library, a network error), it is one failed
        # attempt; its text may hold the address, so only its kind is kept.
        return _record_failure(message, now, f"Not sent ({type(error).__name__})")
    _record_sent(message)
    return SENT


@transaction.atomic
def _claim(message_id: int, now: datetime.datetime) -> Message | None:
    # Two workers (or a worker and `send_reminders --deliver`) may reach the same
    # message at once: the row lock lets one claim it and the other skips it
    # (PostgreSQL); on SQLite every transaction takes the write lock when it begins,
    # so the second waits and then finds it claimed.
    message = (
        Message.objects.select_for_update(
            skip_locked=connection.features.has_select_for_update_skip_locked
        )
        .filter(
            pk=message_id,
            status__in=[Message.Status.QUEUED, Message.Status.SENDING],
            next_attempt_at__lte=now,
        )
        .first()
    )
    if message is None:
        return None
    message.status = Message.Status.SENDING
    message.attempts += 1
    message.next_attempt_at = now + CLAIM
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
    return message


@transaction.atomic
def _record_sent(message: Message) -> None:
    message.status = Message.Status.SENT
    message.sent_at = timezone.now()
    message.last_error = ""
    message.save(update_fields=["status", "sent_at", "last_error"])
    # Who was told what kind of thing, and how; never the text.
    record(
        None,
        AuditEntry.Event.MESSAGE_SENT,
        obj=message,
        patient=message.patient_id,
        changes={"kind": message.kind, "channel": message.channel},
    )


@transaction.atomic
def _record_failure(
    message: Message, now: datetime.datetime, reason: str, *, permanent: bool = False
) -> str:
    waits = settings.MESSAGE_RETRY_MINUTES
    logger.warning("Message %s not sent, attempt %s: %s", message.pk, message.attempts, reason)
    message.last_error = reason[: Message._meta.get_field("last_error").max_length]
    if permanent or message.attempts > len(waits):
        message.status = Message.Status.FAILED
        outcome = FAILED
    else:
        message.status = Message.Status.QUEUED
        message.next_attempt_at = now + datetime.timedelta(minutes=waits[message.attempts - 1])
        transaction.on_commit(partial(enqueue_delivery, message.pk, message.next_attempt_at))
        outcome = RETRY
    message.save(update_fields=["status", "last_error", "next_attempt_at"])
    return outcome
