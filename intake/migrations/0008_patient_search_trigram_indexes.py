# Trigram indexes for the patient search's substring matches, on PostgreSQL only
# (SQLite has no GIN index; there the search reads the table, which is small).
#
# - part of a name:  search_name LIKE '%word%'           (one condition per word)
# - part of a phone: phone LIKE '%digits%'
# - part of an email: UPPER(email::text) LIKE UPPER('%text%'), as Django writes
#   icontains on PostgreSQL
#
# pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner may
# create it without being a superuser; where that is not allowed, an administrator
# creates it beforehand (docs/deployment.md) and this migration finds it there.
# The indexes live outside the model's state (Patient.Meta names them in a comment),
# so SQLite and makemigrations never see them.

from django.db import migrations

INDEXES = {
    "intake_patient_search_trgm": "search_name gin_trgm_ops",
    "intake_patient_phone_trgm": "phone gin_trgm_ops",
    "intake_patient_email_trgm": "UPPER(email::text) gin_trgm_ops",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON intake_patient USING gin ({expression})"
        )


def drop_indexes(apps, schema_editor):
    # The extension stays: other indexes may use it, and it is harmless.
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0007_patient_search_name"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
