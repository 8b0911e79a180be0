from django.db import migrations

from core.permissions import grant_operation


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial"), ("acuclinic", "0002_roles")]

    operations = [grant_operation({"Clinic admin": ["audit.view_auditentry"]})]
