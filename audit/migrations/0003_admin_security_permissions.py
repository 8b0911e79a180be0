"""Clinic admins unlock locked-out logins and remove lost two-factor devices in /admin/."""

from django.db import migrations

from acuclinic.roles import grant_role_permissions, revoke_role_permissions

ROLE_PERMISSIONS = {
    "Clinic admin": [
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "otp_static.view_staticdevice",
        "otp_static.delete_staticdevice",
    ]
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_audit_role_permissions"),
        ("axes", "0010_accessattemptexpiration"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
