"""Load the 361 WHO standard acupuncture points from the project's data file.

The file is read as it is when this migration runs; a later correction to the
file comes with a migration of its own.
"""

import csv
from pathlib import Path

from django.db import migrations

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "who_points.csv"


def load_points(apps, schema_editor):
    Point = apps.get_model("treatment_sessions", "Point")
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    Point.objects.bulk_create(
        Point(
            code=row["code"],
            meridian=row["meridian"],
            number=int(row["number"]),
            pinyin=row["pinyin"],
        )
        for row in rows
    )


def unload_points(apps, schema_editor):
    apps.get_model("treatment_sessions", "Point").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("treatment_sessions", "0001_initial")]

    operations = [migrations.RunPython(load_points, unload_points)]
