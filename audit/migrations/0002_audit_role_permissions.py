from django.db import migrations

from acuclinic.roles import grant_role_permissions, revoke_role_permissions

ROLE_PERMISSIONS = {"Clinic admin": ["audit.view_auditentry"]}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial"), ("acuclinic", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
