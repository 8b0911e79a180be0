"""Synthetic years of a multi-practitioner clinic, at scale (clinic/loadgen.py).

    python manage.py seed_load --patients 50000 [--practitioners K] [--seed S] [--force]

Refuses a database that already holds patients unless --force, and then adds the
synthetic clinic beside them. On PostgreSQL the rows go in with COPY in one
transaction; when the load is larger than what the tables hold, their secondary
indexes and foreign keys are dropped first and rebuilt (then ANALYZE) at the end. On
other databases it uses bulk_create. Exit codes: 0 loaded, 1 failed (nothing is
kept), 2 refused (the database holds patients and --force was not given).
"""

import datetime
import json
import random
import time

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts import roles
from accounts.models import PractitionerProfile, User
from audit.models import AuditEntry
from clinic import loadgen
from core.progress import ProgressLine
from intake.models import Patient
from plans import figures
from plans.models import Plan
from scheduling.models import OpeningHours
from sessions.models import Point, SessionPoint, TreatmentSession

CHUNK_PATIENTS = 1000
# The tables whose rows are counted on the progress line.
SHOWN = (
    (Patient, "patients"),
    (TreatmentSession, "sessions"),
    (SessionPoint, "points"),
    (AuditEntry, "audit"),
)


class Command(BaseCommand):
    help = (
        "Load synthetic years of a multi-practitioner clinic (for benchmarks). Refuses a "
        "database holding patients unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, required=True, help="how many patients")
        parser.add_argument(
            "--practitioners",
            type=int,
            help="how many acupuncturists (default: one per 2,000 patients, at least 3)",
        )
        parser.add_argument("--seed", type=int, default=19, help="the random seed (default 19)")
        parser.add_argument(
            "--years", type=int, default=10, help="how many years of history (default 10)"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="add to a database that already holds patients (theirs are left as they are)",
        )
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="PostgreSQL: never drop and rebuild the tables' indexes around the load",
        )

    def handle(self, *args, **options):
        count = options["patients"]
        if count < 1:
            raise CommandError("--patients must be at least 1.", returncode=2)
        if options["years"] < 1:
            raise CommandError("--years must be at least 1.", returncode=2)
        practitioners = options["practitioners"] or max(3, count // 2000)
        if practitioners < 1:
            raise CommandError("--practitioners must be at least 1.", returncode=2)
        points = dict(Point.objects.values_list("code", "id"))
        if not points:
            raise CommandError(
                "The WHO point table is empty: run `python manage.py migrate` first."
            )
        existing = Patient.objects.count()
        seeded = Patient.objects.filter(code__range=loadgen.SEEDED_CODES).count()
        if existing and not options["force"]:
            real = existing - seeded
            held = (
                f"{real:,} real patient(s)"
                + (f" and {seeded:,} made by seed_load" if seeded else "")
                if real
                else f"{seeded:,} patients from an earlier seed_load"
            )
            raise CommandError(
                f"Refused: this database already holds {held}. seed_load is for a database "
                "of its own (a benchmark or a throwaway copy). To add the synthetic clinic "
                "beside them anyway, run it again with --force.",
                returncode=2,
            )
        postgres = connection.vendor == "postgresql"
        rebuild = postgres and not options["keep_indexes"] and existing < count
        if existing:
            self.stderr.write(
                f"--force: adding {count:,} synthetic patients beside the {existing:,} "
                "already here (left as they are)."
            )
        self.stderr.style_func = None  # the progress line is not an error
        progress = Progress(self.stderr, count)
        started = time.monotonic()
        with transaction.atomic():
            if postgres:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
                    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                    # Checks already waiting in this transaction run now: a table with
                    # pending foreign-key checks cannot lose its constraints.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                    tables = ", ".join(_table(model) for model in loadgen.MODELS)
                    # Nobody else adds rows while ids are handed out and sequences reset.
                    cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
            writer = CopyWriter() if postgres else BulkWriter()
            dropped = _drop_indexes(progress) if rebuild else []
            staff = _staff(practitioners, seed=options["seed"])
            first_ids = {
                model: (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1
                for model in loadgen.MODELS
            }
            generator_first_plan = first_ids[Plan]
            generator = loadgen.Generator(
                patients=count,
                seed=options["seed"],
                today=timezone.localdate(),
                tz=timezone.get_current_timezone(),
                hours=_hours(),
                years=options["years"],
                staff=staff,
                points=points,
                ids=first_ids,
                content_types=_content_types(),
            )
            totals = dict.fromkeys(loadgen.MODELS, 0)
            done = 0
            for chunk in generator.chunks(CHUNK_PATIENTS):
                done += len(chunk.rows.get(Patient, ()))
                for model in loadgen.MODELS:
                    rows = chunk.rows.get(model, ())
                    writer.write(model, rows)
                    totals[model] += len(rows)
                progress.loading(done, totals)
            logins = generator.logins()
            writer.write(AuditEntry, logins.rows.get(AuditEntry, ()))
            totals[AuditEntry] += len(logins.rows.get(AuditEntry, ()))
            progress.loading(done, totals, final=True)
            loaded = time.monotonic()
            if dropped:
                _rebuild_indexes(dropped, progress)
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), loadgen.MODELS):
                    cursor.execute(sql)
        rebuilt = time.monotonic()
        if postgres:
            progress.line("ANALYZE …")
            with connection.cursor() as cursor:
                for model in loadgen.MODELS:
                    cursor.execute(f"ANALYZE {_table(model)}")
        analyzed = time.monotonic()
        # Each new plan's kept figures (plans.figures), as signing keeps them, from the
        # sessions just loaded: in one pass, with the indexes back.
        progress.line("The plans' figures …")
        figures.backfill(
            Plan,
            TreatmentSession,
            signed=TreatmentSession.Status.SIGNED,
            first_id=generator_first_plan,
        )
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {_table(Plan)}")
        finished = time.monotonic()
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_load: {count:,} patients loaded in {finished - started:.0f} s "
                f"(rows {loaded - started:.0f} s, indexes {rebuilt - loaded:.0f} s, "
                f"ANALYZE {analyzed - rebuilt:.0f} s, plans' figures "
                f"{finished - analyzed:.0f} s), seed {options['seed']}, "
                f"{practitioners} practitioners."
            )
        )
        for model in loadgen.MODELS:
            self.stdout.write(f"  {model._meta.db_table:<40} {totals[model]:>12,}")
        self.stdout.write(
            "Staff users are named seed.acupuncturist01…, seed.frontdesk1… and "
            "seed.clinicadmin, without passwords: set one with `manage.py changepassword`."
        )


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _hours() -> dict:
    """The clinic's opening hours by weekday; Monday to Friday 09:00-17:00 if none."""
    hours = {}
    for row in OpeningHours.objects.order_by("weekday", "starts"):
        hours.setdefault(row.weekday, []).append((row.starts, row.ends))
    return hours or {day: [(datetime.time(9), datetime.time(17))] for day in range(5)}


def _content_types() -> dict:
    found = ContentType.objects.get_for_models(*loadgen.MODELS)
    return {model: found[model].id for model in loadgen.MODELS}


def _staff(practitioners: int, *, seed: int) -> loadgen.Staff:
    """The seeded staff, made once and reused by a later load: acupuncturists with a
    current licence, front desk users and a clinic admin, none with a password."""
    rng = random.Random(f"staff:{seed}")  # noqa: S311  # nosec B311
    licence_expiry = timezone.localdate() + datetime.timedelta(days=365)

    def user(username: str, role: str) -> tuple[int, str, str]:
        first = rng.choice(loadgen.FEMALE + loadgen.MALE)
        last = rng.choice(loadgen.LAST_NAMES)[0]
        made, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@clinic.example",
            },
        )
        if created:
            made.set_unusable_password()
            made.save(update_fields=["password"])
            made.groups.add(Group.objects.get(name=role))
        return (made.id, made.username, made.email)

    acupuncturists = []
    for number in range(1, practitioners + 1):
        acupuncturist = user(f"seed.acupuncturist{number:02d}", roles.ACUPUNCTURIST)
        PractitionerProfile.objects.get_or_create(
            user_id=acupuncturist[0],
            defaults={
                "licence_number": f"SEED-{number:04d}",
                "licensing_body": "Synthetic Acupuncture Board",
                "licence_expiry": licence_expiry,
            },
        )
        acupuncturists.append(acupuncturist)
    desks = [
        user(f"seed.frontdesk{number}", roles.FRONT_DESK)
        for number in range(1, max(2, practitioners // 3) + 1)
    ]
    return loadgen.Staff(
        practitioners=acupuncturists,
        front_desk=desks,
        admin=user("seed.clinicadmin", roles.CLINIC_ADMIN),
    )


def _filled(model) -> tuple[list[str], tuple]:
    """The model's columns as loaded: the generator's, then any other field with its
    default (a field added to the model since, with a default, needs no change here)."""
    given = loadgen.COLUMNS[model]
    columns = [model._meta.get_field(name).column for name in given]
    extra = []
    for model_field in model._meta.concrete_fields:
        if model_field.attname in given:
            continue
        default = model_field.get_default()
        if (default is None and not model_field.null) or model_field.unique:
            raise CommandError(
                f"seed_load does not know how to fill {model.__name__}.{model_field.name}: "
                "add it to clinic/loadgen.py."
            )
        columns.append(model_field.column)
        extra.append(default)
    return columns, tuple(extra)


class CopyWriter:
    """PostgreSQL: COPY … FROM STDIN through psycopg 3, JSON as its text."""

    def __init__(self):
        connection.ensure_connection()
        self.raw = connection.connection
        self.plans = {}
        for model in loadgen.MODELS:
            columns, extra = _filled(model)
            json_at = [
                index
                for index, name in enumerate(loadgen.COLUMNS[model])
                if model._meta.get_field(name).get_internal_type() == "JSONField"
            ]
            extra = tuple(json.dumps(v) if isinstance(v, list | dict) else v for v in extra)
            names = ", ".join(connection.ops.quote_name(column) for column in columns)
            self.plans[model] = (f"COPY {_table(model)} ({names}) FROM STDIN", json_at, extra)

    def write(self, model, rows) -> None:
        if not rows:
            return
        sql, json_at, extra = self.plans[model]
        dumps = json.dumps
        with self.raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                if json_at:
                    row = list(row)
                    for index in json_at:
                        if row[index] is not None:
                            row[index] = dumps(row[index])
                    row.extend(extra)
                elif extra:
                    row = row + extra
                copy.write_row(row)


class BulkWriter:
    """Other databases (SQLite): bulk_create in batches."""

    def __init__(self):
        for model in loadgen.MODELS:
            _filled(model)  # refuses a model with a field the generator cannot fill

    def write(self, model, rows) -> None:
        if not rows:
            return
        names = loadgen.COLUMNS[model]
        model.objects.bulk_create(
            [model(**dict(zip(names, row, strict=True))) for row in rows], batch_size=500
        )


def _drop_indexes(progress) -> list:
    """Drop the loaded tables' secondary indexes, unique and foreign-key constraints,
    returning how to make them again. Primary keys and checks stay."""
    dropped = []
    with connection.cursor() as cursor:
        for model in loadgen.MODELS:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY conname",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT EXISTS ("
                "  SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
                "  AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')"
                ") ORDER BY c.relname",
                [table],
            )
            indexes = cursor.fetchall()
            quoted = connection.ops.quote_name(table)
            for name, _kind, _definition in constraints:
                cursor.execute(
                    f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}"
                )
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
            dropped.append((model, constraints, indexes))
    progress.line(
        "Dropped "
        + ", ".join(f"{len(c) + len(i)} on {m._meta.db_table}" for m, c, i in dropped)
        + " (indexes and constraints, rebuilt after the load)"
    )
    return dropped


def _rebuild_indexes(dropped, progress) -> None:
    with connection.cursor() as cursor:
        for model, constraints, indexes in dropped:
            began = time.monotonic()
            quoted = _table(model)
            for _name, definition in indexes:
                cursor.execute(definition)
            # Unique constraints before foreign keys; both checked over the whole table.
            for kind in ("u", "f"):
                for name, constraint_kind, definition in constraints:
                    if constraint_kind == kind:
                        cursor.execute(
                            f"ALTER TABLE {quoted} ADD CONSTRAINT "
                            f"{connection.ops.quote_name(name)} {definition}"
                        )
            if constraints or indexes:
                progress.line(
                    f"Rebuilt {len(indexes)} indexes and {len(constraints)} constraints on "
                    f"{model._meta.db_table} in {time.monotonic() - began:.1f} s"
                )


class Progress(ProgressLine):
    """The bar, with the rows written so far and how fast."""

    def loading(self, done: int, totals: dict, *, final: bool = False) -> None:
        rows = sum(totals.values())
        shown = " · ".join(f"{totals[model]:,} {label}" for model, label in SHOWN)
        speed = f"{rows / max(self.elapsed, 1e-6):,.0f} rows/s"
        self.show(done, f"{shown} · {speed}", final=final)
