"""Writes to patient records. Each takes the acting staff member explicitly."""

from django.db import transaction
from django.utils import timezone

from acuclinic.models import User
from intake.models import Patient

_ARCHIVE_FIELDS = [
    "status",
    "archived_at",
    "archived_by",
    "archive_reason",
    "updated_by",
    "updated_at",
]


@transaction.atomic
def patient_create(*, data: dict, created_by: User) -> Patient:
    return Patient.objects.create(**data, created_by=created_by, updated_by=created_by)


@transaction.atomic
def patient_update(*, patient: Patient, data: dict, updated_by: User) -> Patient:
    for field, value in data.items():
        setattr(patient, field, value)
    patient.updated_by = updated_by
    patient.save()
    return patient


@transaction.atomic
def patient_archive(*, patient: Patient, reason: str, archived_by: User) -> Patient:
    """Archive a chart. Charts are never deleted; an archived chart can be restored."""
    if patient.is_archived:
        return patient
    patient.status = Patient.Status.ARCHIVED
    patient.archived_at = timezone.now()
    patient.archived_by = archived_by
    patient.archive_reason = reason
    patient.updated_by = archived_by
    patient.save(update_fields=_ARCHIVE_FIELDS)
    return patient


@transaction.atomic
def patient_restore(*, patient: Patient, restored_by: User) -> Patient:
    if not patient.is_archived:
        return patient
    patient.status = Patient.Status.ACTIVE
    patient.archived_at = None
    patient.archived_by = None
    patient.archive_reason = ""
    patient.updated_by = restored_by
    patient.save(update_fields=_ARCHIVE_FIELDS)
    return patient
