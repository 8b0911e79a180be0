"""Clinic admins unlock locked-out logins and remove lost two-factor devices in /admin/."""

from django.db import migrations

from core.permissions import grant_operation

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


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_audit_role_permissions"),
        ("axes", "0010_accessattemptexpiration"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [grant_operation(ROLE_PERMISSIONS)]
