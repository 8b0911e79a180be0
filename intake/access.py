"""Who may reach which patient record: one place for the role rules."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from intake.models import Intake, Patient


def get_patient_for(user, code) -> Patient:
    """The patient with this code, if the user's role may see charts.

    Raises PermissionDenied for a role without chart access (checked before the
    lookup, so a refused user learns nothing about which codes exist) and Http404
    for an unknown code.
    """
    if not user.has_perm("intake.view_patient"):
        raise PermissionDenied
    return get_object_or_404(
        Patient.objects.select_related(
            "created_by", "updated_by", "archived_by", "reminder_consent_by"
        ),
        code=code,
    )


def get_intake_for(user, code) -> Intake:
    """The intake with this code, if the user's role may see intakes (status and
    demographics; the clinical answers need intake.view_clinical_record too)."""
    if not user.has_perm("intake.view_intake"):
        raise PermissionDenied
    return get_object_or_404(Intake.objects.select_related("patient"), code=code)
