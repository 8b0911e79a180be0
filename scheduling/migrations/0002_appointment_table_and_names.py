"""The appointments table, its indexes and constraints take the scheduling app's
names."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_appointment_from_plans")]

    operations = [
        migrations.AlterModelTable(name="appointment", table=None),
        migrations.RenameIndex(
            model_name="appointment",
            new_name="scheduling_appt_patient_next",
            old_name="plans_appt_patient_next",
        ),
        migrations.RenameIndex(
            model_name="appointment",
            new_name="scheduling_appt_practitioner",
            old_name="plans_appt_practitioner",
        ),
        migrations.RemoveConstraint(
            model_name="appointment", name="plans_appointment_status_valid"
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["booked", "attended", "cancelled", "no_show"])),
                name="scheduling_appointment_status_valid",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="appointment", name="plans_appointment_length_range"
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.CheckConstraint(
                condition=models.Q(("length_minutes__gte", 5), ("length_minutes__lte", 240)),
                name="scheduling_appointment_length_range",
            ),
        ),
    ]
