"""Write a full backup of the database to one JSON file: `manage.py backup_export PATH`.

PATH ending in .gz is compressed with gzip; `-` writes plain JSON to standard output.
`manage.py backup_restore PATH` loads it into a new, freshly migrated database.

The file is plain JSON written with Django's serializers, not a database dump, so a
backup taken on SQLite restores on PostgreSQL and back. It holds a manifest (format
version, the migrations applied, when it was made, the rows per table) and then every
row of every installed app's tables, apart from EXCLUDED_MODELS.

A backup holds every patient's record, the staff's password hashes and two-factor
secrets: keep it encrypted at rest and readable only by the clinic's administrators.
The file is created readable by its owner only (mode 0600).
"""

import datetime
import gzip
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from importlib import metadata
from itertools import islice
from pathlib import Path

import django
from django.apps import apps
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model, Prefetch
from django.utils import timezone

FORMAT = "acuclinic-backup"
FORMAT_VERSION = 1

# Tables a backup leaves out, and why. Add a model's label (lower case) to leave
# out a new one; every other table of every installed app is backed up.
EXCLUDED_MODELS = {
    # Made by `migrate` in every database, with ids that differ between databases;
    # backed-up rows refer to them by natural key (app label, model, codename).
    "contenttypes.contenttype": "made by migrate",
    "auth.permission": "made by migrate",
    # The state of the running site, not the clinic's records.
    "sessions.session": "live logins; a restore must not log anyone in",
    "core.ratelimitcounter": "request counts of time windows that have passed",
    "axes.accessattempt": "failed-login counts behind current lockouts",
    "axes.accessattemptexpiration": "when those lockouts end",
    # The message worker's queue: the outbox itself (messaging.message) is kept, and
    # send_reminders --deliver sends what was still waiting.
    "django_tasks_database.dbtaskresult": "the worker's queue of tasks, not records",
}

# Rows matched by natural key instead of primary key: migrations create them in
# every database (the staff roles), so the restore updates the existing row.
NATURAL_PRIMARY_KEY_MODELS = {"auth.group"}

# Rows serialized at a time: a large table is never held in memory whole.
CHUNK_SIZE = 1000


class BackupJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder keeping microseconds (it cuts times to milliseconds), so a
    restore gives back the exact times of signatures and audit entries."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def backup_models(using: str = DEFAULT_DB_ALIAS) -> list[type[Model]]:
    """Every model whose rows a backup holds, in an order a restore can load them in."""
    models = [
        model
        for model in apps.get_models()
        if model._meta.label_lower not in EXCLUDED_MODELS
        and model._meta.managed
        and not model._meta.proxy
        and router.allow_migrate_model(using, model)
    ]
    return serializers.sort_dependencies([(None, models)], allow_cycles=True)


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """The migrations applied to the database, by app label."""
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def write_backup(write: Callable[[str], object], *, using: str = DEFAULT_DB_ALIAS) -> dict:
    """Write the whole backup as JSON text through `write`; return its manifest."""
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            # One snapshot for every table: a session signed while the backup runs is
            # in it with all of its points, or not at all.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        models = backup_models(using)
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "acuclinic_version": _acuclinic_version(),
            "django_version": django.get_version(),
            "database": connection.vendor,
            "migrations": applied_migrations(using),
            "counts": {
                model._meta.label_lower: model._base_manager.using(using).count()
                for model in models
            },
            "excluded": sorted(EXCLUDED_MODELS),
        }
        write('{"manifest": ')
        write(json.dumps(manifest, indent=1))
        write(',\n"objects": [')
        separator = "\n"
        for model in models:
            for record in _records(model, using):
                write(separator)
                write(json.dumps(record, cls=BackupJSONEncoder, ensure_ascii=False))
                separator = ",\n"
        write("\n]}\n")
    return manifest


def _records(model: type[Model], using: str) -> Iterator[dict]:
    natural_primary = model._meta.label_lower in NATURAL_PRIMARY_KEY_MODELS
    rows = (
        model._base_manager.using(using)
        .select_related(*_natural_key_foreign_keys(model))
        .prefetch_related(*_many_to_many_prefetches(model))
        .order_by(model._meta.pk.name)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for chunk in _chunks(rows, CHUNK_SIZE):
        yield from serializers.serialize(
            "python",
            chunk,
            use_natural_foreign_keys=True,
            use_natural_primary_keys=natural_primary,
        )


def _natural_key_foreign_keys(model: type[Model]) -> list[str]:
    # The serializer reads the related row to write its natural key: one join
    # instead of a query per row.
    return [
        field.name
        for field in model._meta.concrete_fields
        if field.is_relation and hasattr(field.related_model, "natural_key")
    ]


def _many_to_many_prefetches(model: type[Model]) -> list[Prefetch]:
    return [
        Prefetch(
            field.name,
            queryset=field.related_model._base_manager.select_related(
                *_natural_key_foreign_keys(field.related_model)
            ),
        )
        for field in model._meta.many_to_many
        if field.remote_field.through._meta.auto_created
    ]


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _acuclinic_version() -> str:
    try:
        return metadata.version("acuclinic")
    except metadata.PackageNotFoundError:
        return "unknown"


class Command(BaseCommand):
    help = (
        "Write a full backup (JSON; gzip'd when PATH ends in .gz; - for standard output). "
        "It holds patients' records and password hashes: keep it encrypted."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="file to write (.gz to compress), or - for stdout")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="database to back up (default: default)"
        )

    def handle(self, *args, path: str, database: str, **options):
        if path == "-":
            manifest = write_backup(lambda text: self.stdout.write(text, ending=""), using=database)
            report = self.stderr
        else:
            manifest = self._write_file(Path(path), database)
            report = self.stdout
        counts = manifest["counts"]
        if options["verbosity"] < 1:
            return
        if options["verbosity"] >= 2:
            for label, count in counts.items():
                report.write(f"  {label}: {count}")
        where = "standard output" if path == "-" else path
        report.write(
            f"Backed up {sum(counts.values())} rows of {len(counts)} tables to {where}. "
            "It holds patients' records: keep it encrypted."
        )

    def _write_file(self, path: Path, database: str) -> dict:
        if not path.parent.is_dir():
            raise CommandError(f"No such folder: {path.parent}")
        # Written beside the target and renamed when complete, so an interrupted
        # export never leaves a partial file under the backup's name. mkstemp
        # makes the file readable by its owner only.
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with open(fd, "wb") as raw:
                binary = gzip.GzipFile(fileobj=raw, mode="wb") if path.suffix == ".gz" else raw
                text = io.TextIOWrapper(binary, encoding="utf-8")
                manifest = write_backup(text.write, using=database)
                text.detach()  # flushes, and leaves closing to us
                if binary is not raw:
                    binary.close()  # writes the gzip trailer
                raw.flush()
                os.fsync(raw.fileno())
            Path(partial).replace(path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return manifest
