"""Appointments moved to the scheduling app (scheduling/migrations/0001): the plans
app no longer holds the model. The table is not touched here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0003_version"),
        ("scheduling", "0001_appointment_from_plans"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Appointment")],
            database_operations=[],
        )
    ]
