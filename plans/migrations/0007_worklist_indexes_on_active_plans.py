# The due worklist and its counts on every dashboard read active plans by next visit
# due: two partial indexes over active plans only (one for one practitioner's list),
# with the patient in the key so the counts read the index alone, replace the index
# on (status, next_due) over every plan ever made.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0006_plan_check_in_every_range"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="plan",
            name="plans_plan_status_next_due",
        ),
        migrations.AddIndex(
            model_name="plan",
            index=models.Index(
                condition=models.Q(("status", "active")),
                fields=["next_due", "patient"],
                name="plans_plan_active_due",
            ),
        ),
        migrations.AddIndex(
            model_name="plan",
            index=models.Index(
                condition=models.Q(("status", "active")),
                fields=["practitioner", "next_due", "patient"],
                name="plans_plan_practitioner_due",
            ),
        ),
    ]
