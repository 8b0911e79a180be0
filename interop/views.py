"""The exports of one patient's record: the FHIR $everything Bundle and the sessions
as CSV. Both are exports in the audit trail; neither is for the front desk."""

import csv
import json

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit.models import AuditEntry
from audit.trail import record
from intake.access import get_patient_for
from interop import export, selectors, sessions_csv

CLINICAL = "intake.view_clinical_record"


@require_GET
@login_required
@permission_required(CLINICAL, raise_exception=True)
def patient_everything_view(request, code):
    """GET /fhir/Patient/<code>/$everything: the patient's record as a FHIR R4 Bundle."""
    patient = get_patient_for(request.user, code)
    bundle = export.everything_bundle(patient, self_url=request.build_absolute_uri(request.path))
    record(
        request,
        AuditEntry.Event.EXPORT,
        obj=patient,
        patient=patient,
        changes={"format": ["", "FHIR R4 Bundle"]},
    )
    response = HttpResponse(
        json.dumps(bundle, ensure_ascii=False, indent=1), content_type=export.FHIR_JSON
    )
    response["Content-Disposition"] = (
        f'inline; filename="patient-record-{timezone.localdate():%Y-%m-%d}.fhir.json"'
    )
    return response


@require_GET
@login_required
@permission_required(CLINICAL, raise_exception=True)
def sessions_csv_view(request, code):
    """GET /patients/<code>/sessions.csv: the patient's signed sessions, oldest first."""
    patient = get_patient_for(request.user, code)
    sessions = selectors.signed_sessions_for_csv(patient)
    record(
        request,
        AuditEntry.Event.EXPORT,
        obj=patient,
        patient=patient,
        changes={"format": ["", "sessions CSV"]},
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="sessions-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(sessions_csv.HEADER)
    for session in sessions:
        writer.writerow(sessions_csv.session_row(session))
    return response
