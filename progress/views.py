"""The progress page: whether a patient is getting better, in key figures and charts
(docs/clinical-rules.md section 1)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from audit.trail import record_read
from intake.access import get_patient_for
from progress.charts import progress_charts
from progress.selectors import patient_progress

CLINICAL = "intake.view_clinical_record"


@require_safe
@login_required
@permission_required(CLINICAL, raise_exception=True)
def progress_view(request, code):
    """Key figures first, then the charts; ?range=all draws the whole history instead
    of the last months."""
    patient = get_patient_for(request.user, code)
    whole = request.GET.get("range") == "all"
    progress = patient_progress(patient)
    record_read(request, patient, patient=patient)
    return render(
        request,
        "progress/progress.html",
        {
            "patient": patient,
            "progress": progress,
            "charts": progress_charts(progress, whole=whole),
            "whole": whole,
        },
    )
