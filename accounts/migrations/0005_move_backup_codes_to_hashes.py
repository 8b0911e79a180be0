"""Move every user's backup codes from django-otp's static device, which keeps them
in clear, to BackupCodeDevice, which keeps salted hashes. The codes people hold keep
working; the clear copies are deleted. Clinic admins may see and remove the new
devices in /admin/, as they could the old ones."""

import secrets

from django.db import migrations

from accounts.models import BackupCodeDevice, hash_backup_code
from core.permissions import grant_operation


def hash_existing_codes(apps, schema_editor):
    StaticDevice = apps.get_model("otp_static", "StaticDevice")
    NewDevice = apps.get_model("acuclinic", "BackupCodeDevice")
    BackupCode = apps.get_model("acuclinic", "BackupCode")
    for old in StaticDevice.objects.prefetch_related("token_set").iterator(chunk_size=100):
        new = NewDevice.objects.create(
            user_id=old.user_id,
            name=old.name,
            confirmed=old.confirmed,
            salt=secrets.token_hex(16),
            iterations=BackupCodeDevice.ITERATIONS,
            created_at=old.created_at,
            last_used_at=old.last_used_at,
        )
        BackupCode.objects.bulk_create(
            [
                BackupCode(
                    device=new,
                    code_hash=hash_backup_code(
                        token.token, salt=new.salt, iterations=new.iterations
                    ),
                )
                for token in old.token_set.all()
            ]
        )
        old.token_set.all().delete()
        old.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("acuclinic", "0004_credentials_reset_and_hashed_backup_codes"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        # Backwards the hashes cannot be turned back into codes: users make new ones.
        migrations.RunPython(hash_existing_codes, migrations.RunPython.noop),
        grant_operation(
            {
                "Clinic admin": [
                    "acuclinic.view_backupcodedevice",
                    "acuclinic.delete_backupcodedevice",
                ]
            }
        ),
    ]
