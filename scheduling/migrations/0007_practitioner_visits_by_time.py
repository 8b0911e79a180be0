# A practitioner's schedule (day and week), their "Today" list and the clash check
# read that practitioner's visits in a span of time: an index on (practitioner,
# starts_at) serves all three, where the one on (practitioner, status, starts_at)
# served only the clash check and made the schedule combine two indexes.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0006_clinic_admin_keeps_hours"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="appointment", name="scheduling_appt_practitioner"),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(
                fields=["practitioner", "starts_at"], name="scheduling_appt_pract_starts"
            ),
        ),
    ]
