"""Session permissions for the staff roles.

Acupuncturists log, edit their drafts, sign and add addenda, and keep the point
protocols. Clinic admins read sessions and protocols. Front desk gets none: no
session page and no clinical content.
"""

from django.db import migrations

from core.permissions import grant_role_permissions, revoke_role_permissions

ROLE_PERMISSIONS = {
    "Acupuncturist": [
        "treatment_sessions.view_treatmentsession",
        "treatment_sessions.add_treatmentsession",
        "treatment_sessions.change_treatmentsession",
        "treatment_sessions.sign_treatmentsession",
        "treatment_sessions.add_sessionaddendum",
        "treatment_sessions.view_protocol",
        "treatment_sessions.add_protocol",
        "treatment_sessions.change_protocol",
    ],
    "Clinic admin": [
        "treatment_sessions.view_treatmentsession",
        "treatment_sessions.view_protocol",
    ],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("treatment_sessions", "0002_load_who_points"),
        ("acuclinic", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
