"""Intake permissions for the staff roles.

Front desk and clinic admins make and revoke intake links and confirm
self-registrations (intake.add_patient, already theirs). Only acupuncturists
mark an intake reviewed. The intake's clinical answers stay behind
intake.view_clinical_record, which front desk never has.
"""

from django.db import migrations

from core.permissions import grant_role_permissions, revoke_role_permissions

ROLE_PERMISSIONS = {
    "Front desk": [
        "intake.view_intake",
        "intake.add_intakeinvitation",
        "intake.change_intakeinvitation",
    ],
    "Acupuncturist": [
        "intake.view_intake",
        "intake.review_intake",
    ],
    "Clinic admin": [
        "intake.view_intake",
        "intake.add_intakeinvitation",
        "intake.change_intakeinvitation",
    ],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0002_intake_questionnaire_and_invitations"),
        ("acuclinic", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
