"""Redact the link tokens that refused requests under /intake/<token>/ left in the
trail's paths before paths were redacted on save."""

from django.db import migrations
from django.db.models import Q

from core.logs import TOKEN_PATH_PREFIXES, redact


def redact_stored_paths(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    under_a_link = Q()
    for prefix in TOKEN_PATH_PREFIXES:
        under_a_link |= Q(path__contains=f"/{prefix}/")
    # The historical model has no save() of its own, and update() skips it anyway.
    for pk, path in AuditEntry.objects.filter(under_a_link).values_list("pk", "path").iterator():
        if redact(path) != path:
            AuditEntry.objects.filter(pk=pk).update(path=redact(path))


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_admin_security_permissions")]

    # Backwards there is nothing to restore: the tokens are gone for good.
    operations = [migrations.RunPython(redact_stored_paths, migrations.RunPython.noop)]
