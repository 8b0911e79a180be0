"""manage.py export_fhir: the whole clinic as FHIR Bulk Data NDJSON."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from audit.models import AuditEntry
from intake.models import Patient
from interop import export, fhir
from tests.factories import PatientFactory, TreatmentSessionFactory
from tests.interop.fhir_checks import unresolved, validate

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_fhir", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def read(folder) -> tuple[dict, dict[str, list[dict]]]:
    manifest = json.loads((folder / "manifest.json").read_text())
    files = {
        output["type"]: [
            json.loads(line) for line in (folder / output["url"]).read_text().splitlines()
        ]
        for output in manifest["output"]
    }
    return manifest, files


def test_the_demo_clinic_exports_line_by_line_valid_r4_whose_references_resolve(settings, tmp_path):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False
    folder = tmp_path / "export"

    run("--out", str(folder))

    manifest, files = read(folder)
    assert manifest["requiresAccessToken"] is False
    assert manifest["request"] == "manage.py export_fhir"
    datetime.datetime.fromisoformat(manifest["transactionTime"])
    for output in manifest["output"]:
        assert output["url"] == f"{output['type']}.ndjson"
        assert output["count"] == len(files[output["type"]])
    resources = [resource for lines in files.values() for resource in lines]
    for resource in resources:
        validate(resource)
    addresses = {f"{r['resourceType']}/{r['id']}": r for r in resources}
    assert len(addresses) == len(resources)
    assert unresolved(addresses, resources) == []
    assert len(files["Patient"]) == Patient.objects.count()
    assert {"Encounter", "Procedure", "Observation", "CarePlan", "Practitioner"} <= set(files)
    assert not list(folder.glob("*.part"))


def test_each_patient_exported_is_in_the_audit_trail(tmp_path, front_desk):
    patients = PatientFactory.create_batch(3, created_by=front_desk)

    run("--out", str(tmp_path / "x"))

    entries = AuditEntry.objects.filter(event=AuditEntry.Event.EXPORT)
    assert sorted(e.patient_id for e in entries) == sorted(p.pk for p in patients)
    assert {e.username for e in entries} == {"manage.py export_fhir"}


def test_the_folder_and_files_are_readable_by_their_owner_only(tmp_path, front_desk):
    PatientFactory(created_by=front_desk)
    folder = tmp_path / "export"

    run("--out", str(folder))

    assert folder.stat().st_mode & 0o777 == 0o700
    files = list(folder.glob("*.ndjson"))
    assert files
    assert {path.stat().st_mode & 0o777 for path in files} == {0o600}


def test_since_exports_the_whole_record_of_patients_changed_since_that_day_only(
    tmp_path, front_desk, acupuncturist
):
    old, touched, new = PatientFactory.create_batch(3, created_by=front_desk)
    long_ago = timezone.now() - datetime.timedelta(days=400)
    Patient.objects.filter(pk__in=[old.pk, touched.pk]).update(
        created_at=long_ago, updated_at=long_ago
    )
    # A session signed last week changes the record of a chart untouched for a year.
    TreatmentSessionFactory(patient=touched, created_by=acupuncturist, signed=True)
    since = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()

    run("--out", str(tmp_path / "x"), "--since", since)

    manifest, files = read(tmp_path / "x")
    assert {p["id"] for p in files["Patient"]} == {str(touched.code), str(new.code)}
    assert len(files["Encounter"]) == 1
    assert manifest["request"] == f"manage.py export_fhir --since {since}"


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("31/01/2025", "--since must be a date written YYYY-MM-DD"),
        ("2025-02-30", "--since must be a date written YYYY-MM-DD"),
        ("2999-01-01", "is in the future"),
    ],
)
def test_a_bad_since_is_a_clear_error(tmp_path, since, message):
    with pytest.raises(CommandError, match=message):
        run("--out", str(tmp_path / "x"), "--since", since)
    assert not (tmp_path / "x").exists()


def test_an_out_that_is_a_file_or_holds_an_export_is_refused(tmp_path, front_desk):
    PatientFactory(created_by=front_desk)
    a_file = tmp_path / "file.txt"
    a_file.write_text("keep me")
    with pytest.raises(CommandError, match="is a file, not a folder"):
        run("--out", str(a_file))

    run("--out", str(tmp_path / "x"))
    before = (tmp_path / "x" / "Patient.ndjson").read_text()
    with pytest.raises(CommandError, match="already holds an export"):
        run("--out", str(tmp_path / "x"))
    assert (tmp_path / "x" / "Patient.ndjson").read_text() == before
    assert a_file.read_text() == "keep me"


def test_chunks_change_nothing_in_what_is_written_and_practitioners_come_once(
    tmp_path, front_desk, acupuncturist
):
    for _ in range(5):
        TreatmentSessionFactory(
            patient=PatientFactory(created_by=front_desk), created_by=acupuncturist, signed=True
        )

    def export_with(size, name):
        writer = export.NdjsonWriter(tmp_path)
        chunks = []
        export.bulk_export(
            Patient.objects.all(), writer, chunk_size=size, on_chunk=lambda c: chunks.append(len(c))
        )
        writer.close()
        lines = {path.name: path.read_text() for path in sorted(tmp_path.glob("*.part"))}
        for path in tmp_path.glob("*.part"):
            path.unlink()
        return chunks, lines

    small_chunks, small = export_with(2, "small")
    one_chunk, whole = export_with(100, "whole")

    assert (small_chunks, one_chunk) == ([2, 2, 1], [5])
    assert small == whole
    assert small["Practitioner.ndjson.part"].count("\n") == 1


def test_the_progress_is_plain_lines_when_not_on_a_terminal(tmp_path, front_desk):
    PatientFactory.create_batch(3, created_by=front_desk)

    out, err = run("--out", str(tmp_path / "x"))

    assert "\r" not in err
    assert err.splitlines()[-1].startswith("[########################] 3/3 patients")
    assert "Patient.ndjson" in out
    assert "3 patient(s) exported" in out


def _as_urns(value):
    """The resource with its Type/id references written urn:uuid:id."""
    if isinstance(value, dict):
        return {
            key: f"urn:uuid:{item.split('/')[1]}" if key == "reference" else _as_urns(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_as_urns(item) for item in value]
    return value


def test_the_bundle_and_the_files_differ_only_in_how_references_are_written(full_patient):
    (loaded,) = export.selectors.load_records(Patient.objects.filter(pk=full_patient.pk))

    in_bundle = fhir.RecordBuilder(loaded, reference=fhir.urn_reference).resources()
    in_files = fhir.RecordBuilder(loaded, reference=fhir.relative_reference).resources()

    assert in_files != in_bundle
    assert _as_urns(in_files) == in_bundle
