# The trail page reads a page at a time newest first by (timestamp, id), from the
# row it continues from, instead of counting the trail: an index in that order for
# the whole trail and for each filter (patient, user, typed username, event). The
# earlier indexes on (column, -timestamp) give way to these, and so do those on the
# patient, the actor and the timestamp alone, which the new ones start with: fewer
# indexes to write to on every entry.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_message_sent_event"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="patient",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="intake.patient",
            ),
        ),
        migrations.RemoveIndex(model_name="auditentry", name="audit_patient_time"),
        migrations.RemoveIndex(model_name="auditentry", name="audit_actor_time"),
        migrations.RemoveIndex(model_name="auditentry", name="audit_event_time"),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["-timestamp", "-id"], name="audit_time_id"),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                fields=["patient", "-timestamp", "-id"], name="audit_patient_time_id"
            ),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["actor", "-timestamp", "-id"], name="audit_actor_time_id"),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                fields=["username", "-timestamp", "-id"], name="audit_username_time_id"
            ),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["event", "-timestamp", "-id"], name="audit_event_time_id"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="actor",
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="timestamp",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="timestamp"),
        ),
    ]
