"""The progress report as a PDF download (progress.report)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_safe

from audit.models import AuditEntry
from audit.trail import record
from intake.access import get_patient_for
from progress import report
from progress.selectors import patient_progress

CLINICAL = "intake.view_clinical_record"


@require_safe
@login_required
@permission_required(CLINICAL, raise_exception=True)
def report_pdf_view(request, code):
    """?paper=a4|letter overrides REPORT_PAPER (anything else is a 400, so a link
    never prints on paper it did not ask for); ?contact=<id>, a referral contact of
    the patient's plan, makes it a letter to them."""
    patient = get_patient_for(request.user, code)
    try:
        paper = report.paper_for(request.GET.get("paper"))
    except report.ReportPaper as refused:
        return HttpResponseBadRequest(str(refused), content_type="text/plain; charset=utf-8")
    progress = patient_progress(patient)
    context = report.report_context(
        patient, progress, user=request.user, contact_id=request.GET.get("contact")
    )
    pdf = report.render_pdf(context, paper=paper)
    # An export, like any download of a record; a letter names its addressee, since
    # it leaves the clinic.
    letter = context["letter"]
    record(
        request,
        AuditEntry.Event.EXPORT,
        obj=patient,
        patient=patient,
        changes={"letter to": ["", str(letter.contact)]} if letter else None,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename(progress.today)}"'
    response["Cache-Control"] = "no-store"
    return response
