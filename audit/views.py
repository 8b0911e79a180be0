import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from audit.forms import AuditFilterForm
from audit.models import AuditEntry
from intake.models import Patient


@require_safe
@login_required
@permission_required("audit.view_auditentry", raise_exception=True)
def audit_list(request):
    """The trail, newest first, filtered by patient, user, event and dates. Read-only."""
    form = AuditFilterForm(request.GET or None)
    entries = AuditEntry.objects.select_related("actor", "patient", "content_type")
    patient = None
    if form.is_valid():
        data = form.cleaned_data
        if data["patient"]:
            patient = Patient.objects.filter(code=data["patient"]).first()
            entries = entries.filter(patient=patient) if patient else entries.none()
        if data["user"]:
            entries = entries.filter(Q(actor__username=data["user"]) | Q(username=data["user"]))
        if data["event"]:
            entries = entries.filter(event=data["event"])
        if data["date_from"]:
            entries = entries.filter(timestamp__gte=_day_start(data["date_from"]))
        if data["date_to"]:
            next_day = data["date_to"] + datetime.timedelta(days=1)
            entries = entries.filter(timestamp__lt=_day_start(next_day))
    elif form.is_bound:
        entries = entries.none()
    entries = entries.order_by("-timestamp", "-id")
    page = Paginator(entries, settings.AUDIT_ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "audit/audit_list.html", {"form": form, "page": page, "patient": patient}
    )


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
