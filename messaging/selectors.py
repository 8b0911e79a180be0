"""Reads of the outbox, each in a fixed number of queries."""

from django.db.models import Count, Q

from messaging.models import Message

# The outbox page's tabs: the statuses each shows ("" shows every message).
OUTBOX_TABS = {
    "": [],
    "queued": [Message.Status.QUEUED, Message.Status.SENDING],
    "sent": [Message.Status.SENT],
    "failed": [Message.Status.FAILED],
}


def already_queued(keys) -> set[str]:
    """Of these dedupe keys, those a message was queued under (one query), so a
    run of send_reminders composes only what is new."""
    keys = list(keys)
    if not keys:
        return set()
    return set(Message.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))


def outbox(tab: str = ""):
    """Messages newest first, with their patient, those of one tab only if given."""
    messages = Message.objects.select_related("patient").order_by("-created_at", "-pk")
    if OUTBOX_TABS.get(tab):
        messages = messages.filter(status__in=OUTBOX_TABS[tab])
    # The page shows no message text: leave it and the files in the database.
    return messages.defer("subject", "body", "attachment")


def outbox_counts() -> dict[str, int]:
    """How many messages each tab holds (one query)."""
    return Message.objects.aggregate(
        **{
            tab or "all": Count("pk", filter=Q(status__in=statuses) if statuses else None)
            for tab, statuses in OUTBOX_TABS.items()
        }
    )
