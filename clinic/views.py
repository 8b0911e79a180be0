"""Pages that bring every app together: the dashboard, the patient's chart, the audit
trail, and the health check."""

import logging
import smtplib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accounts.selectors import practitioner_profile
from audit.selectors import audit_page
from audit.trail import record_read
from checkins.selectors import chart_check_ins
from clinic.forms import AuditFilterForm
from clinic.selectors import day_summary, todays_visits
from core.keyset import KeysetPage
from intake.access import get_patient_for
from intake.models import Patient
from intake.selectors import intake_overview, patient_by_code, queue_counts
from intake.services import ChartArchived, invitation_create, invitation_send_email
from messaging.channels import sms_enabled
from plans.selectors import chart_plan, due_worklist, worklist_counts
from progress.charts import patient_sparkline
from sessions.selectors import chart_sessions, stale_drafts

logger = logging.getLogger(__name__)

STALE_DRAFTS_SHOWN = 50


@require_safe
@login_required
def dashboard(request):
    user = request.user
    context = {
        "roles": user.role_names,
        "practitioner_profile": practitioner_profile(user),
        "today": timezone.localdate(),
    }
    if user.has_perm("intake.view_intake"):
        context.update(queue_counts())
    if user.has_perm("treatment_sessions.sign_treatmentsession"):
        context["stale_drafts"] = stale_drafts(user, limit=STALE_DRAFTS_SHOWN)
        context["stale_drafts_shown"] = STALE_DRAFTS_SHOWN
    if user.has_perm("plans.view_plan"):
        context["visits_due"] = worklist_counts(due_worklist(today=timezone.localdate()))
    if user.has_perm("treatment_sessions.add_treatmentsession"):
        # The acupuncturist's day: their own visits, opening the page.
        context["today_visits"] = todays_visits(user)
    if user.has_perm("scheduling.change_appointment"):
        # The front desk's (and the clinic admin's) view of the whole clinic's day.
        context["day_summary"] = day_summary()
    return render(request, "clinic/dashboard.html", context)


def _chart(request, patient: Patient, **extra):
    """The patient's chart: what each role sees differs (see docs/product-rules.md)."""
    clinical = request.user.has_perm("intake.view_clinical_record")
    intake = intake_overview(patient, clinical=clinical)
    context = {"patient": patient, "intake": intake, "sms_enabled": sms_enabled(), **extra}
    if request.user.has_perm("treatment_sessions.view_treatmentsession"):
        context.update(chart_sessions(patient, intake["answers"], request.GET.get("sessions_page")))
    if request.user.has_perm("plans.view_plan"):
        context.update(chart_plan(patient))
    context.update(chart_check_ins(patient, clinical=clinical))
    context["pain_sparkline"] = patient_sparkline(patient) if clinical else None
    record_read(request, patient, patient=patient)
    return render(request, "clinic/patient_detail.html", context)


@require_safe
@login_required
def patient_detail(request, code):
    return _chart(request, get_patient_for(request.user, code))


@login_required
@permission_required("intake.add_intakeinvitation", raise_exception=True)
@require_POST
def invitation_create_view(request, code):
    """Make a new intake link and show it on the chart, once (only its hash is kept)."""
    patient = get_patient_for(request.user, code)
    try:
        invitation, token = invitation_create(patient=patient, created_by=request.user)
    except ChartArchived:
        messages.error(request, "This chart is archived: restore it before sending an intake link.")
        return redirect("clinic:patient_detail", code=patient.code)
    link = request.build_absolute_uri(reverse("intake:intake_entry", kwargs={"token": token}))
    emailed = False
    if request.POST.get("send_email") and patient.email:
        try:
            invitation_send_email(invitation=invitation, link=link)
            emailed = True
        except (OSError, smtplib.SMTPException) as exc:
            # The error's text can carry the patient's address: log only its kind.
            logger.warning("Sending an intake link email failed: %s", type(exc).__name__)
            messages.error(
                request,
                "The link was made, but the email could not be sent. Copy the link below "
                "and send it another way, or try again later.",
            )
    return _chart(request, patient, new_link=link, new_link_emailed=emailed)


@require_safe
@login_required
@permission_required("audit.view_auditentry", raise_exception=True)
def audit_list(request):
    """The trail, newest first, filtered by patient, user, event and dates. Read-only.
    Pages continue from a row ("Newer", "Older") rather than counting the trail."""
    form = AuditFilterForm(request.GET or None)
    patient = None
    page = KeysetPage([], newer=None, older=None)
    if form.is_valid():
        data = form.cleaned_data
        if data["patient"]:
            patient = patient_by_code(data["patient"])
        if not (data["patient"] and patient is None):
            page = audit_page(
                patient=patient,
                user=data["user"],
                event=data["event"],
                date_from=data["date_from"],
                date_to=data["date_to"],
                cursor=request.GET.get("cursor"),
                per_page=settings.AUDIT_ENTRIES_PER_PAGE,
            )
    elif not form.is_bound:
        page = audit_page(cursor=None, per_page=settings.AUDIT_ENTRIES_PER_PAGE)
    return render(
        request, "clinic/audit_list.html", {"form": form, "page": page, "patient": patient}
    )


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
