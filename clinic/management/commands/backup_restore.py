"""Load a backup made by backup_export into an empty database: `manage.py backup_restore PATH`.

PATH is the backup file, plain or gzip'd JSON, or `-` for standard input. The
database must be new: made by `manage.py migrate` at the same migrations as the
backup, and holding nothing else (checked first; otherwise nothing is written).

Everything is restored in one transaction: a backup that fails to load halfway
leaves the database as it was. Rows are saved raw, as `loaddata` does: model
save() methods are skipped, and the audit trail records the restored rows as they
were, not as new changes. Nothing of a patient's record is printed, even in errors.
"""

import gzip
import json
import sys
import zlib
from collections import Counter
from contextlib import nullcontext
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import Model

from accounts import roles
from clinic.management.commands.backup_export import (
    EXCLUDED_MODELS,
    FORMAT,
    FORMAT_VERSION,
    applied_migrations,
    backup_models,
)

# Rows that `migrate` itself creates (data migrations), by model label, which a
# new database holds before anything is restored: a filter for those rows, or
# None for the whole table. The restore updates them to what the backup holds.
MADE_BY_MIGRATE = {
    # The staff roles and their permissions (accounts/migrations/0002_roles.py, and
    # the role permission migrations of each app).
    "auth.group": {"name__in": roles.ALL_ROLES},
    # The WHO standard points (sessions/migrations/0002_load_who_points.py).
    "treatment_sessions.point": None,
    # A new clinic's opening hours (scheduling/migrations/0005_weekday_opening_hours.py).
    "scheduling.openinghours": None,
    # The clinic's details, made from the settings (core/migrations/0004).
    "core.clinic": None,
}
# Of those, the tables the backup's rows replace whole: the clinic admin may have
# deleted a row that migrate made (a weekday the clinic no longer opens), which
# updating the rows could not undo.
REPLACED_BY_THE_BACKUP = ("scheduling.openinghours",)

GZIP_MAGIC = b"\x1f\x8b"


class Command(BaseCommand):
    help = (
        "Restore a backup made by backup_export into a new database that `migrate` "
        "has just made (refuses a database holding any data)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="backup file (plain or gzip'd JSON), or - for stdin")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database to restore into")

    def handle(self, *args, path: str, database: str, **options):
        backup = self._read(path)
        manifest, records, skipped = self._check(backup, database)
        counts = self._restore(records, database)

        if options["verbosity"] < 1:
            return
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
        for label, count in skipped.items():
            self.stdout.write(f"  {label}: {count} skipped ({EXCLUDED_MODELS[label]})")
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {sum(counts.values())} rows of {len(counts)} tables from the "
                f"backup made at {manifest['created_at']}."
            )
        )

    def _read(self, path: str) -> object:
        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
            if data.startswith(GZIP_MAGIC):
                data = gzip.decompress(data)
            return json.loads(data.decode("utf-8"))
        except (OSError, EOFError, zlib.error, ValueError) as exc:
            # ValueError covers bad JSON and bad UTF-8; neither message quotes the data.
            raise CommandError(
                f"{path} is not a readable backup (damaged or cut short?): {exc}. "
                "Nothing was restored."
            ) from None

    def _check(self, backup: object, using: str) -> tuple[dict, list[dict], Counter]:
        """The manifest, the rows to restore and the rows left out; or a CommandError."""
        if not (
            isinstance(backup, dict)
            and isinstance(backup.get("manifest"), dict)
            and isinstance(backup.get("objects"), list)
            and backup["manifest"].get("format") == FORMAT
        ):
            raise CommandError("This file is not an AcuClinic backup. Nothing was restored.")
        manifest, records = backup["manifest"], backup["objects"]
        if manifest.get("version") != FORMAT_VERSION:
            raise CommandError(
                f"This backup is in format version {manifest.get('version')}; this version "
                f"of AcuClinic reads version {FORMAT_VERSION}. Nothing was restored."
            )

        if not (
            isinstance(manifest.get("migrations"), dict)
            and isinstance(manifest.get("counts"), dict)
            and all(
                isinstance(record, dict) and isinstance(record.get("model"), str)
                for record in records
            )
        ):
            raise CommandError("The backup is malformed. Nothing was restored.")

        expected = applied_migrations(using)
        if manifest["migrations"] != expected:
            raise CommandError(
                "The backup was made at other migrations than this database has "
                f"({_migration_differences(manifest['migrations'], expected)}). "
                "Restore into a database migrated with the version of AcuClinic that made "
                "the backup, then upgrade and migrate. Nothing was restored."
            )

        found = Counter(record["model"] for record in records)
        if found != +Counter(manifest["counts"]):
            raise CommandError(
                "The backup is incomplete or altered: its rows do not match the counts in "
                "its manifest. Nothing was restored."
            )
        known = {model._meta.label_lower for model in apps.get_models()}
        unknown = sorted(set(found) - known)
        if unknown:
            raise CommandError(
                f"The backup holds tables this version of AcuClinic does not have: "
                f"{', '.join(unknown)}. Nothing was restored."
            )
        skipped = Counter({label: n for label, n in found.items() if label in EXCLUDED_MODELS})
        records = [record for record in records if record["model"] not in EXCLUDED_MODELS]
        return manifest, records, skipped

    def _restore(self, records: list[dict], using: str) -> Counter:
        connection = connections[using]
        counts: Counter = Counter()
        models: set[type[Model]] = set()
        current = {"model": None, "pk": None}  # the row being restored, for errors

        def each_record():
            for record in records:
                current.update(model=record["model"], pk=record.get("pk", "(natural key)"))
                yield record

        with transaction.atomic(using=using), audit_trail_paused():
            self._refuse_unless_empty(using)
            for label in REPLACED_BY_THE_BACKUP:
                apps.get_model(label)._base_manager.using(using).all().delete()
            with connection.constraint_checks_disabled():
                try:
                    waiting = []
                    for restored in serializers.deserialize(
                        "python", each_record(), using=using, handle_forward_references=True
                    ):
                        label = restored.object._meta.label_lower
                        # A row the database already holds is an error, not something
                        # to overwrite; only the rows migrate made are updated.
                        restored.save(using=using, force_insert=label not in MADE_BY_MIGRATE)
                        models.add(type(restored.object))
                        counts[label] += 1
                        if restored.deferred_fields:
                            waiting.append(restored)
                    for restored in waiting:
                        current.update(
                            model=restored.object._meta.label_lower, pk=restored.object.pk
                        )
                        restored.save_deferred_fields(using=using)
                except Exception as exc:  # any failure on a row: say which, and roll back
                    raise CommandError(
                        f"The row {current['model']} pk={current['pk']} could not be restored "
                        f"({_reason(exc)}). Nothing was restored."
                    ) from None
            try:
                connection.check_constraints(table_names=[model._meta.db_table for model in models])
            except DatabaseError as exc:
                raise CommandError(
                    f"The backup refers to rows it does not hold ({_reason(exc)}). "
                    "Nothing was restored."
                ) from None
            # PostgreSQL's id sequences move past the restored ids (SQLite needs nothing).
            reset = connection.ops.sequence_reset_sql(no_style(), models)
            if reset:
                with connection.cursor() as cursor:
                    for sql in reset:
                        cursor.execute(sql)
        return Counter(dict(sorted(counts.items())))

    def _refuse_unless_empty(self, using: str) -> None:
        found = []
        for model in backup_models(using):
            label = model._meta.label_lower
            rows = model._base_manager.using(using).all()
            if label in MADE_BY_MIGRATE:
                if MADE_BY_MIGRATE[label] is None:
                    continue
                rows = rows.exclude(**MADE_BY_MIGRATE[label])
            count = rows.count()
            if count:
                found.append(f"{count} {label}")
        if found:
            raise CommandError(
                f"The database is not empty: it holds {', '.join(found)}. Restore only into "
                "a new database that `manage.py migrate` has just made. Nothing was restored."
            )


def audit_trail_paused():
    # Raw saves already skip django-auditlog (AUDITLOG_DISABLE_ON_RAW_SAVE), but
    # setting a restored user's groups sends m2m_changed, which has no raw flag and
    # would be recorded as a change made now.
    if apps.is_installed("auditlog"):
        from auditlog.context import disable_auditlog

        return disable_auditlog()
    return nullcontext()


def _reason(exc: Exception) -> str:
    """What went wrong, without the values involved (they may be a patient's)."""
    if isinstance(exc, DatabaseError):
        # The first line names the constraint; PostgreSQL's DETAIL line quotes values.
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"{type(exc).__name__}: a value this version cannot read"


def _migration_differences(backup: dict, database: dict) -> str:
    differences = []
    for app_label in sorted(set(backup) | set(database)):
        only_backup = sorted(set(backup.get(app_label, [])) - set(database.get(app_label, [])))
        only_database = sorted(set(database.get(app_label, [])) - set(backup.get(app_label, [])))
        if only_backup:
            differences.append(f"{app_label}: only the backup has {', '.join(only_backup)}")
        if only_database:
            differences.append(f"{app_label}: only this database has {', '.join(only_database)}")
    return "; ".join(differences)
