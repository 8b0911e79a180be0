"""Appointments move from the plans app to scheduling. First only Django's idea of
which app owns the model changes (the table stays plans_appointment); its content
type, and with it the permissions the roles hold and the audit trail's references,
are renamed to the scheduling app. The next migration renames the table."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def rename_content_type(apps, schema_editor, *, old="plans", new="scheduling"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label=old, model="appointment").update(app_label=new)


def rename_back(apps, schema_editor):
    rename_content_type(apps, schema_editor, old="scheduling", new="plans")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("plans", "0003_version"),
        ("intake", "0003_intake_role_permissions"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Appointment",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("code", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ("starts_at", models.DateTimeField()),
                        (
                            "length_minutes",
                            models.PositiveSmallIntegerField(
                                choices=[
                                    (30, "30 minutes"),
                                    (45, "45 minutes"),
                                    (60, "1 hour"),
                                    (90, "1½ hours"),
                                ],
                                default=45,
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("booked", "Booked"),
                                    ("attended", "Attended"),
                                    ("cancelled", "Cancelled"),
                                    ("no_show", "No-show"),
                                ],
                                default="booked",
                                max_length=10,
                            ),
                        ),
                        ("status_reason", models.CharField(blank=True, max_length=200)),
                        ("status_changed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now, editable=False),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "patient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="appointments",
                                to="intake.patient",
                            ),
                        ),
                        (
                            "practitioner",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="appointments",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "status_changed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "plans_appointment",
                        "ordering": ["starts_at"],
                        "indexes": [
                            models.Index(
                                fields=["patient", "status", "starts_at"],
                                name="plans_appt_patient_next",
                            ),
                            models.Index(
                                fields=["practitioner", "status", "starts_at"],
                                name="plans_appt_practitioner",
                            ),
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("status__in", ["booked", "attended", "cancelled", "no_show"])
                                ),
                                name="plans_appointment_status_valid",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("length_minutes__gte", 5), ("length_minutes__lte", 240)
                                ),
                                name="plans_appointment_length_range",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_type, rename_back),
    ]
