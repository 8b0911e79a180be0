"""The clinic admin keeps the opening hours, the closures and the practitioners'
working hours in /admin/."""

from django.db import migrations

from core.permissions import grant_operation

KEPT = ["openinghours", "closure", "practitionerhours"]


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0005_weekday_opening_hours"),
        ("acuclinic", "0002_roles"),
    ]

    operations = [
        grant_operation(
            {
                "Clinic admin": [
                    f"scheduling.{action}_{model}"
                    for model in KEPT
                    for action in ("view", "add", "change", "delete")
                ]
            }
        )
    ]
