"""Reading the trail back."""

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditEntry


def audit_entries(
    *,
    patient=None,
    user: str = "",
    event: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEntry]:
    """Entries newest first, narrowed by each filter given (dates are whole clinic days)."""
    entries = AuditEntry.objects.select_related("actor", "patient", "content_type")
    if patient is not None:
        entries = entries.filter(patient=patient)
    if user:
        entries = entries.filter(Q(actor__username=user) | Q(username=user))
    if event:
        entries = entries.filter(event=event)
    if date_from:
        entries = entries.filter(timestamp__gte=_day_start(date_from))
    if date_to:
        entries = entries.filter(timestamp__lt=_day_start(date_to + datetime.timedelta(days=1)))
    return entries.order_by("-timestamp", "-id")


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
