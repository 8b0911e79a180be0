"""The rate-limit counter model moves to the core app. Only Django's idea of which app
owns it changes: the table, acuclinic_ratelimitcounter, stays as it is."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("acuclinic", "0005_move_backup_codes_to_hashes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RateLimitCounter")],
            database_operations=[],
        )
    ]
