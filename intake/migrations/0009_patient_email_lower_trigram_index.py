# The patient search looks for part of an email in the lowered address
# (LOWER(email) LIKE '%text%', intake.models.PatientQuerySet.search), so its trigram
# index is on the lowered email; the index on UPPER(email) of migration 0008, made
# for Django's icontains, is no longer read by the search and is dropped.
#
# PostgreSQL only, outside the model's state, as in 0008 (which created pg_trgm).

from django.db import migrations

LOWER_INDEX = "intake_patient_email_lower_trgm"
UPPER_INDEX = "intake_patient_email_trgm"


def lower_email_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {LOWER_INDEX} ON intake_patient "
        "USING gin (LOWER(email) gin_trgm_ops)"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {UPPER_INDEX}")


def upper_email_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {UPPER_INDEX} ON intake_patient "
        "USING gin (UPPER(email::text) gin_trgm_ops)"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {LOWER_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0008_patient_search_trigram_indexes"),
    ]

    operations = [migrations.RunPython(lower_email_index, upper_email_index)]
