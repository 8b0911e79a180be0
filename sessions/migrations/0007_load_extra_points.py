"""Load the 48 extra points of WHO's proposed standard international acupuncture
nomenclature (1991) from the project's data file, after the 361 WHO points.

An extra point's region is stored as its meridian (EX-HN3 is number 3 of EX-HN).
Yintang's later code, GV29, is an alias the parser reads; it is not a point of its
own. The file is read as it is when this migration runs; a later correction to the
file comes with a migration of its own.
"""

import csv
from pathlib import Path

from django.db import migrations

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "who_extra_points.csv"


def load_extra_points(apps, schema_editor):
    Point = apps.get_model("treatment_sessions", "Point")
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    Point.objects.bulk_create(
        Point(
            code=row["code"],
            meridian=f"EX-{row['region']}",
            number=int(row["number"]),
            pinyin=row["pinyin"],
        )
        for row in rows
    )


def unload_extra_points(apps, schema_editor):
    apps.get_model("treatment_sessions", "Point").objects.filter(code__startswith="EX-").delete()


class Migration(migrations.Migration):
    dependencies = [("treatment_sessions", "0006_extra_points_and_jiaji_levels")]

    operations = [migrations.RunPython(load_extra_points, unload_extra_points)]
