"""backup_export and backup_restore: the demo data round-trips, and a bad restore writes nothing.

Most tests restore into the test database as `migrate` left it (each test runs in a
transaction rolled back afterwards); the demo data's backup is made once, in a
transaction of its own that is rolled back too. Two transactional tests go the
whole way: a restore with real commits into a database whose content types and
roles were made again with other ids, and (PostgreSQL) a backup taken while
someone writes.
"""

import dataclasses
import datetime
import gzip
import io
import json
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from auditlog.context import disable_auditlog
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.test import RequestFactory, override_settings
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from clinic.management.commands import backup_export
from clinic.management.commands.backup_export import (
    EXCLUDED_MODELS,
    NATURAL_PRIMARY_KEY_MODELS,
    backup_models,
)
from clinic.management.commands.backup_restore import audit_trail_paused
from clinic.management.commands.seed_demo import DEMO_PASSWORD, DEMO_PATIENTS, DEMO_USERS
from core.models import RateLimitCounter
from intake.models import Intake, Patient
from plans.models import Plan
from scheduling.models import OpeningHours
from sessions.models import TreatmentSession
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

# conftest's fast hasher, for the demo data made outside any test.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# What would give a patient away if a command printed it.
PATIENT_DATA = [
    value
    for patient in DEMO_PATIENTS
    for key, value in patient.items()
    if key in {"last_name", "email", "phone"}
]


@dataclasses.dataclass(frozen=True)
class DemoBackup:
    gzipped: Path
    plain: Path
    contents: dict  # every backed-up row, as _database_contents() gives it
    samples: dict  # chosen records read through the ORM, as _samples() gives it
    output: str  # what the export printed


@pytest.fixture(scope="module")
def demo_backup(django_db_setup, django_db_blocker, tmp_path_factory) -> DemoBackup:
    """The demo data's backup, gzip'd and plain; the demo rows are rolled back."""
    folder = tmp_path_factory.mktemp("backup")
    out = io.StringIO()
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        call_command("seed_demo", stdout=io.StringIO())
        # Rows of the running site, which a backup leaves out.
        RateLimitCounter.objects.create(key="login:203.0.113.9", value=3, expires_at=timezone.now())
        session = SessionStore()
        session["_auth_user_id"] = str(User.objects.get(username="clinicadmin").pk)
        session.create()

        call_command("backup_export", str(folder / "demo.json.gz"), verbosity=2, stdout=out)
        call_command("backup_export", str(folder / "demo.json"), stdout=out)
        backup = DemoBackup(
            gzipped=folder / "demo.json.gz",
            plain=folder / "demo.json",
            contents=_database_contents(),
            samples=_samples(),
            output=out.getvalue(),
        )
        transaction.set_rollback(True)
    return backup


def _database_contents() -> dict[str, dict]:
    """Every row of every backed-up table, field by field, by table and key.

    Foreign keys to rows that `migrate` makes (content types, permissions, the
    roles) are given by natural key, so two databases whose ids differ compare.
    """
    contents = {}
    for model in backup_models():
        label = model._meta.label_lower
        rows = serializers.serialize(
            "python",
            model._base_manager.order_by("pk"),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=label in NATURAL_PRIMARY_KEY_MODELS,
        )
        contents[label] = {
            _key(row): {
                # Lists of ids or values in any order; a JSON list of objects
                # (regions treated) compared by its items' JSON.
                name: sorted(value, key=lambda item: json.dumps(item, sort_keys=True))
                if isinstance(value, list)
                else value
                for name, value in row["fields"].items()
            }
            for row in rows
        }
    return contents


def _key(row: dict):
    if "pk" in row:
        return row["pk"]
    return row["fields"]["name"]  # auth.group, the one model restored by natural key


def _fields(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def _samples() -> dict:
    """The records a clinic would check first, read through the ORM."""
    patients = Patient.objects.filter(last_name__in=["Holloway", "Price", "García"])
    intake = Intake.objects.filter(patient__last_name="Holloway").earliest("pk")
    session = TreatmentSession.objects.filter(
        status=TreatmentSession.Status.SIGNED, adverse_events__isnull=False
    ).earliest("pk")
    plan = Plan.objects.get(patient__last_name="Holloway")
    return {
        "patients": {patient.last_name: _fields(patient) for patient in patients},
        "intake": _fields(intake),
        "intake regions": [_fields(region) for region in intake.regions.order_by("pk")],
        "intake medications": [_fields(medicine) for medicine in intake.medications.order_by("pk")],
        "signed session": _fields(session),
        "points": [
            (point.point.code, point.side, point.order) for point in session.needled_points.all()
        ],
        "adverse events": [_fields(event) for event in session.adverse_events.all()],
        "plan": _fields(plan),
        "plan protocols": sorted(plan.protocols.values_list("name", flat=True)),
        "plan events": [_fields(event) for event in plan.events.all()],
        "users": {
            user.username: (
                _fields(user),
                sorted(user.groups.values_list("name", flat=True)),
                sorted(user.groups.values_list("permissions__codename", flat=True)),
            )
            for user in User.objects.filter(username__in=[u[0] for u in DEMO_USERS])
        },
        "licence": _fields(User.objects.get(username="acupuncturist").practitioner_profile),
    }


def _read(path: Path) -> dict:
    data = path.read_bytes()
    return json.loads(gzip.decompress(data) if path.suffix == ".gz" else data)


def _write(path: Path, backup: dict) -> Path:
    path.write_text(json.dumps(backup), encoding="utf-8")
    return path


def _restore(path, **options) -> str:
    out = io.StringIO()
    call_command("backup_restore", str(path), stdout=out, **options)
    return out.getvalue()


def _log_in(username: str) -> bool:
    # A request for the login checks (django-axes asks for one); the password
    # check is the one the login page makes.
    request = RequestFactory().post("/accounts/login/")
    return authenticate(request, username=username, password=DEMO_PASSWORD) is not None


def test_a_backup_holds_every_table_of_every_app_but_the_excluded_ones(demo_backup):
    backup = _read(demo_backup.gzipped)
    manifest = backup["manifest"]
    tables = {model._meta.label_lower for model in backup_models()}

    assert manifest["format"] == "acuclinic-backup"
    assert set(manifest["counts"]) == tables
    assert {"acuclinic.user", "intake.patient", "plans.planevent", "auth.group"} <= tables
    assert not tables & set(EXCLUDED_MODELS)
    assert manifest["counts"]["intake.patient"] == len(DEMO_PATIENTS)
    models_in_file = {record["model"] for record in backup["objects"]}
    assert not models_in_file & set(EXCLUDED_MODELS)
    assert manifest["migrations"]["acuclinic"][:2] == ["0001_initial", "0002_roles"]


def test_no_backed_up_table_refers_to_a_table_left_out():
    # Such a row could not be restored (content types and permissions are
    # referred to by natural key, and a new database has them).
    dangling = [
        f"{model._meta.label_lower}.{field.name}"
        for model in backup_models()
        for field in [*model._meta.concrete_fields, *model._meta.many_to_many]
        if field.is_relation
        and field.related_model._meta.label_lower in EXCLUDED_MODELS
        and not hasattr(field.related_model, "natural_key")
    ]
    assert dangling == []


def test_a_restore_gives_back_every_row_of_the_demo_data(demo_backup):
    output = _restore(demo_backup.gzipped)

    assert _database_contents() == demo_backup.contents
    assert _samples() == demo_backup.samples
    assert f"  intake.patient: {len(DEMO_PATIENTS)}\n" in output
    assert "  core.ratelimitcounter" not in output
    for username, *_ in DEMO_USERS:
        assert _log_in(username)
    # New rows after a restore get new ids (PostgreSQL's sequences were moved on).
    PatientFactory(created_by=UserFactory())


def test_a_restore_gives_back_the_clinics_own_opening_hours(tmp_path):
    # The clinic closed on Fridays and opened Saturday mornings; a new database
    # opens Monday to Friday (scheduling's data migration).
    made_by_migrate = list(OpeningHours.objects.values_list("weekday", "starts", "ends"))
    OpeningHours.objects.filter(weekday=4).delete()
    OpeningHours.objects.create(weekday=5, starts=datetime.time(9), ends=datetime.time(12))
    kept = sorted(OpeningHours.objects.values_list("weekday", "starts", "ends"))
    call_command("backup_export", str(tmp_path / "hours.json"), stdout=io.StringIO())
    # Back to a database as `migrate` makes it (the changes above are in the trail too).
    AuditEntry.objects.all().delete()
    with disable_auditlog():
        OpeningHours.objects.all().delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(weekday=day, starts=starts, ends=ends)
            for day, starts, ends in made_by_migrate
        )

    _restore(tmp_path / "hours.json")

    assert sorted(OpeningHours.objects.values_list("weekday", "starts", "ends")) == kept


def test_a_plain_json_backup_restores_too(demo_backup):
    _restore(demo_backup.plain)

    assert _database_contents() == demo_backup.contents


def test_a_backup_restores_from_standard_input(demo_backup, monkeypatch):
    monkeypatch.setattr(
        sys, "stdin", io.TextIOWrapper(io.BytesIO(demo_backup.gzipped.read_bytes()))
    )

    _restore("-")

    assert _database_contents() == demo_backup.contents


def test_export_to_standard_output_writes_the_backup_and_reports_on_standard_error(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    out, err = io.StringIO(), io.StringIO()

    call_command("backup_export", "-", stdout=out, stderr=err)

    backup = json.loads(out.getvalue())
    assert backup["manifest"]["counts"]["intake.patient"] == len(DEMO_PATIENTS)
    assert sum(backup["manifest"]["counts"].values()) == len(backup["objects"])
    assert "Backed up" in err.getvalue()
    assert "Backed up" not in out.getvalue()


def test_the_backup_file_is_readable_by_its_owner_only(demo_backup):
    assert demo_backup.gzipped.stat().st_mode & 0o777 == 0o600
    assert demo_backup.plain.stat().st_mode & 0o777 == 0o600


def test_neither_command_prints_patient_data(demo_backup):
    output = demo_backup.output + _restore(demo_backup.gzipped, verbosity=3)

    assert "Backed up" in output and "Restored" in output
    assert not [value for value in PATIENT_DATA if value in output]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(lambda: PatientFactory(created_by=UserFactory()), id="a patient"),
        pytest.param(lambda: UserFactory(), id="a user"),
        pytest.param(lambda: UserFactory().groups.create(name="Locums"), id="a group of its own"),
    ],
)
def test_restore_refuses_a_database_holding_data_and_changes_nothing(demo_backup, data):
    data()
    before = _database_contents()

    with pytest.raises(CommandError, match="not empty"):
        _restore(demo_backup.gzipped)

    assert _database_contents() == before


@pytest.mark.parametrize("name", ["demo.json.gz", "demo.json"])
def test_a_backup_cut_short_is_refused_and_nothing_is_written(demo_backup, tmp_path, name):
    data = getattr(demo_backup, "gzipped" if name.endswith(".gz") else "plain").read_bytes()
    cut = tmp_path / name
    cut.write_bytes(data[: len(data) * 2 // 3])
    before = _database_contents()

    with pytest.raises(CommandError, match="not a readable backup"):
        _restore(cut)

    assert _database_contents() == before


def _spoil_last(backup: dict, model: str, field: str, value) -> dict:
    record = [record for record in backup["objects"] if record["model"] == model][-1]
    record["fields"][field] = value
    return record


@pytest.mark.parametrize(
    ("model", "field", "value", "message"),
    [
        # Read and saved in turn: it fails once most rows are in.
        ("scheduling.appointment", "starts_at", "the 31st of February", "could not be restored"),
        # Caught only when the references are checked, after every row is in.
        ("treatment_sessions.sessionpoint", "session", 999_999, "refers to rows it does not hold"),
    ],
)
def test_a_restore_failing_halfway_leaves_the_database_as_it_was(
    demo_backup, tmp_path, model, field, value, message
):
    backup = _read(demo_backup.plain)
    spoilt = _spoil_last(backup, model, field, value)
    before = _database_contents()

    with pytest.raises(CommandError, match=message) as refused:
        _restore(_write(tmp_path / "spoilt.json", backup))

    assert _database_contents() == before
    assert not User.objects.exists() and not Patient.objects.exists()
    assert "Nothing was restored" in str(refused.value)
    if "could not be restored" in message:
        assert f"{model} pk={spoilt['pk']} " in str(refused.value)
    assert not [value for value in PATIENT_DATA if value in str(refused.value)]


def test_rows_of_a_table_now_left_out_are_skipped(demo_backup, tmp_path):
    # A backup made before a table joined EXCLUDED_MODELS.
    backup = _read(demo_backup.plain)
    backup["objects"].append(
        {
            "model": "core.ratelimitcounter",
            "pk": 1,
            "fields": {"key": "login:x", "value": 1, "expires_at": "2030-01-01T00:00:00+00:00"},
        }
    )
    backup["manifest"]["counts"]["core.ratelimitcounter"] = 1

    output = _restore(_write(tmp_path / "older.json", backup))

    assert "core.ratelimitcounter: 1 skipped" in output
    assert not RateLimitCounter.objects.exists()
    assert _database_contents() == demo_backup.contents


def test_a_backup_missing_rows_its_manifest_counts_is_refused(demo_backup, tmp_path):
    backup = _read(demo_backup.plain)
    backup["objects"].pop()

    with pytest.raises(CommandError, match="incomplete or altered"):
        _restore(_write(tmp_path / "short.json", backup))

    assert not Patient.objects.exists()


def test_a_backup_made_at_other_migrations_is_refused(demo_backup, tmp_path):
    backup = _read(demo_backup.plain)
    latest = backup["manifest"]["migrations"]["plans"].pop()

    with pytest.raises(CommandError, match=f"plans: only this database has {latest}"):
        _restore(_write(tmp_path / "older.json", backup))

    assert not Patient.objects.exists()


@pytest.mark.parametrize("content", ["[]", '{"objects": []}', "not json at all"])
def test_a_file_that_is_not_a_backup_is_refused(tmp_path, content):
    path = tmp_path / "other.json"
    path.write_text(content)

    with pytest.raises(CommandError, match="not (an AcuClinic|a readable) backup"):
        _restore(path)


def _ids_of_rows_made_by_migrate() -> tuple[dict, dict]:
    return (
        dict(ContentType.objects.values_list("model", "pk")),
        dict(Group.objects.values_list("name", "pk")),
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_restores_into_a_new_database_with_other_ids(settings, tmp_path):
    # The rows `migrate` makes beyond content types and permissions (the roles,
    # the WHO points), by natural key where there is one.
    made_by_migrate = [
        row
        for model in backup_models()
        for row in serializers.serialize(
            "python",
            model._base_manager.all(),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=model._meta.label_lower in NATURAL_PRIMARY_KEY_MODELS,
        )
    ]
    ids = _ids_of_rows_made_by_migrate()
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    call_command("backup_export", str(tmp_path / "demo.json.gz"), stdout=io.StringIO())
    contents, samples = _database_contents(), _samples()

    # A new database: emptied, then given what `migrate` would give it, in
    # another order, so that the roles and content types have other ids.
    call_command("flush", interactive=False, verbosity=0)
    with audit_trail_paused():  # migrate's historical models are not audited either
        for row in serializers.deserialize("python", reversed(made_by_migrate)):
            row.save()
    content_type_ids, role_ids = _ids_of_rows_made_by_migrate()
    assert content_type_ids != ids[0] and role_ids != ids[1]

    _restore(tmp_path / "demo.json.gz")

    assert _database_contents() == contents
    assert _samples() == samples
    for username, *_ in DEMO_USERS:
        assert _log_in(username)
    # The ids the restore used up are not given out again (PostgreSQL's sequences,
    # which the emptying restarted, were moved past them).
    user = UserFactory()
    assert user.pk > max(contents["acuclinic.user"])
    assert PatientFactory(created_by=user).pk > max(contents["intake.patient"])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_taken_while_the_clinic_works_is_one_moment(settings, tmp_path, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets no one write while the backup reads")
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    front_desk = User.objects.get(username="frontdesk")
    records = backup_export._records

    def a_patient_registered_meanwhile():
        try:
            PatientFactory(created_by=front_desk)
        finally:
            connections.close_all()

    def records_while_the_desk_registers_a_patient(model, using):
        if model is backup_models()[0]:
            desk = threading.Thread(target=a_patient_registered_meanwhile)
            desk.start()
            desk.join()
        return records(model, using)

    monkeypatch.setattr(backup_export, "_records", records_while_the_desk_registers_a_patient)
    call_command("backup_export", str(tmp_path / "demo.json"), stdout=io.StringIO())

    assert Patient.objects.count() == len(DEMO_PATIENTS) + 1
    backup = _read(tmp_path / "demo.json")
    in_file = Counter(record["model"] for record in backup["objects"])
    assert in_file["intake.patient"] == len(DEMO_PATIENTS)
    assert +Counter(backup["manifest"]["counts"]) == in_file
