"""The clinic's details start as the CLINIC_NAME, CLINIC_PHONE and CLINIC_ADDRESS
settings; from then on the clinic admin keeps them in /admin/."""

from django.conf import settings
from django.db import migrations


def create_from_settings(apps, schema_editor):
    Clinic = apps.get_model("core", "Clinic")
    Clinic.objects.get_or_create(
        pk=1,
        defaults={
            "name": settings.CLINIC_NAME,
            "phone": settings.CLINIC_PHONE,
            "address": settings.CLINIC_ADDRESS,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0003_clinic_admin_keeps_clinic_details")]

    operations = [migrations.RunPython(create_from_settings, migrations.RunPython.noop)]
