import logging

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from acuclinic.logging import REFUSAL_REASON
from acuclinic.models import PractitionerProfile
from acuclinic.services import credentials_renewed
from intake.models import Intake
from plans.selectors import due_worklist, worklist_counts
from sessions.models import TreatmentSession

logger = logging.getLogger(__name__)

STALE_DRAFTS_SHOWN = 50


@require_safe
@login_required
def dashboard(request):
    profile = PractitionerProfile.objects.filter(user=request.user).first()
    context = {"roles": request.user.role_names, "practitioner_profile": profile}
    if request.user.has_perm("intake.view_intake"):
        context["intakes_to_review"] = Intake.objects.awaiting_review().count()
        context["registrations_to_confirm"] = Intake.objects.pending_registrations().count()
    if request.user.has_perm("treatment_sessions.sign_treatmentsession"):
        context["stale_drafts"] = list(
            TreatmentSession.objects.stale_drafts(user=request.user)
            .select_related("patient")
            .order_by("created_at")[:STALE_DRAFTS_SHOWN]
        )
        context["stale_drafts_shown"] = STALE_DRAFTS_SHOWN
    if request.user.has_perm("plans.view_plan"):
        context["visits_due"] = worklist_counts(due_worklist(today=timezone.localdate()))
    return render(request, "acuclinic/dashboard.html", context)


@never_cache
@require_safe
def healthz(request):
    """Liveness and readiness for load balancers: the app answers and its database too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def csrf_failure(request, reason=""):
    """Django's CSRF refusal page (templates/403_csrf.html), with the reason kept
    for the one log line of audit.middleware."""
    setattr(request, REFUSAL_REASON, reason or "CSRF check failed")
    return django_csrf_failure(request, reason=reason)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change; after an admin's reset it gives the account back."""

    def form_valid(self, form):
        response = super().form_valid(form)
        credentials_renewed(user=self.request.user)
        return response
