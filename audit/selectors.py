"""Reading the trail back."""

import datetime

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from audit.models import AuditEntry
from core.keyset import KeysetPage, keyset_page


def audit_lists(
    *,
    patient=None,
    user: str = "",
    event: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> list[QuerySet[AuditEntry]]:
    """The entries each filter given allows (dates are whole clinic days), as one
    queryset, or two whose rows together are the list: the user filter matches the
    entries of the user with that username now and those typed with that username
    (failed logins, or written under a name since changed), and each half is read in
    order from its own index (audit.models), where one OR would sort them all. The
    user filter looks the user up first (one query)."""
    entries = AuditEntry.objects.select_related("actor", "patient", "content_type")
    if patient is not None:
        entries = entries.filter(patient=patient)
    if event:
        entries = entries.filter(event=event)
    if date_from:
        entries = entries.filter(timestamp__gte=_day_start(date_from))
    if date_to:
        entries = entries.filter(timestamp__lt=_day_start(date_to + datetime.timedelta(days=1)))
    if not user:
        return [entries]
    typed = entries.filter(username=user)
    # The user's id as a value, not a join or a subquery: the planner then knows how
    # many entries are theirs (a user seldom in the trail is read from the index on
    # (actor, time), not found by reading the whole trail by time).
    actor_id = get_user_model().objects.filter(username=user).values_list("pk", flat=True)
    actor_id = next(iter(actor_id), None)
    return [typed] if actor_id is None else [entries.filter(actor_id=actor_id), typed]


def audit_page(*, cursor: str | None, per_page: int, **filters) -> KeysetPage:
    """A page of the trail, newest first, from `cursor` (core.keyset): no count of
    the entries, and each page reads about per_page rows however long the trail."""
    return keyset_page(audit_lists(**filters), field="timestamp", cursor=cursor, per_page=per_page)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
