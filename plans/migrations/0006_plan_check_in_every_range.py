# The plan form now edits check_in_every: its 0-52 range is kept by the database
# too, as the other ranges on a plan are, and its name reads in the plan's history.

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0005_plan_check_in_every"),
    ]

    operations = [
        migrations.AlterField(
            model_name="plan",
            name="check_in_every",
            field=models.PositiveSmallIntegerField(
                default=4,
                help_text="Send the patient a check-in after every this many sessions (0: never).",
                validators=[django.core.validators.MaxValueValidator(52)],
                verbose_name="sessions between check-ins",
            ),
        ),
        migrations.AddConstraint(
            model_name="plan",
            constraint=models.CheckConstraint(
                condition=models.Q(("check_in_every__lte", 52)),
                name="plans_plan_check_in_every_range",
            ),
        ),
    ]
