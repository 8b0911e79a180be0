"""A new clinic opens Monday to Friday, 09:00-17:00, until the clinic admin says
otherwise in /admin/. A clinic that already has opening hours keeps them."""

import datetime

from django.db import migrations

WEEKDAYS = range(5)  # Monday (0) to Friday (4)


def open_weekdays(apps, schema_editor):
    OpeningHours = apps.get_model("scheduling", "OpeningHours")
    if OpeningHours.objects.exists():
        return
    OpeningHours.objects.bulk_create(
        OpeningHours(weekday=day, starts=datetime.time(9), ends=datetime.time(17))
        for day in WEEKDAYS
    )


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0004_clinic_hours")]

    operations = [migrations.RunPython(open_weekdays, migrations.RunPython.noop)]
