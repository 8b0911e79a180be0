# Patient.search_name: the names as search compares them (intake.search), filled in
# for the charts that exist.

from django.db import migrations, models

from intake.search import patient_search_name

BATCH = 2000


def fill_search_names(apps, schema_editor):
    Patient = apps.get_model("intake", "Patient")
    patients = Patient.objects.only("first_name", "last_name", "preferred_name").order_by("pk")
    batch = []
    for patient in patients.iterator(chunk_size=BATCH):
        patient.search_name = patient_search_name(
            patient.first_name, patient.last_name, patient.preferred_name
        )
        batch.append(patient)
        if len(batch) == BATCH:
            Patient.objects.bulk_update(batch, ["search_name"])
            batch = []
    Patient.objects.bulk_update(batch, ["search_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0006_intake_pain_medication_doses"),
    ]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="search_name",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill_search_names, migrations.RunPython.noop, elidable=True),
    ]
