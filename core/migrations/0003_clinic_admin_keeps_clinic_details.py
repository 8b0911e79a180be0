"""The clinic admin keeps the clinic's details in /admin/."""

from django.db import migrations

from core.permissions import grant_operation


class Migration(migrations.Migration):
    dependencies = [("core", "0002_clinic"), ("acuclinic", "0002_roles")]

    operations = [grant_operation({"Clinic admin": ["core.view_clinic", "core.change_clinic"]})]
