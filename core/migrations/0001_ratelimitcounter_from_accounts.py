"""The rate-limit counter, taken over from the staff app (label acuclinic) with its
table: nothing changes in the database."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("acuclinic", "0006_ratelimitcounter_moves_to_core")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RateLimitCounter",
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
                        ("key", models.CharField(max_length=250, unique=True)),
                        ("value", models.BigIntegerField()),
                        ("expires_at", models.DateTimeField()),
                    ],
                    options={
                        "db_table": "acuclinic_ratelimitcounter",
                        "indexes": [
                            models.Index(fields=["expires_at"], name="acuclinic_ratelimit_expires")
                        ],
                    },
                )
            ],
            database_operations=[],
        )
    ]
