"""Plan and appointment permissions for the staff roles.

Everyone on the staff sees a plan's cadence and next visit due (the clinical
details need intake.view_clinical_record too). Acupuncturists create and change
plans. Front desk and clinic admins book appointments. Clinic admins keep the
referral directory (in /admin/); acupuncturists pick from it.
"""

from django.db import migrations

from core.permissions import grant_role_permissions, revoke_role_permissions

ROLE_PERMISSIONS = {
    "Front desk": [
        "plans.view_plan",
        "plans.view_appointment",
        "plans.add_appointment",
        "plans.change_appointment",
    ],
    "Acupuncturist": [
        "plans.view_plan",
        "plans.add_plan",
        "plans.change_plan",
        "plans.view_appointment",
        "plans.view_referralcontact",
    ],
    "Clinic admin": [
        "plans.view_plan",
        "plans.view_appointment",
        "plans.add_appointment",
        "plans.change_appointment",
        "plans.view_referralcontact",
        "plans.add_referralcontact",
        "plans.change_referralcontact",
    ],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0001_initial"),
        ("acuclinic", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
