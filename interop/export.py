"""The two FHIR exports over the same builder (interop.fhir): one patient's
$everything Bundle, and the whole clinic as FHIR Bulk Data NDJSON files."""

import datetime
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db.models import QuerySet
from django.utils import timezone

from intake.models import Patient
from interop import fhir, selectors
from interop.questionnaires import instant

FHIR_JSON = "application/fhir+json; charset=utf-8"
# Patients read and written at a time by the bulk export: memory stays flat in the
# number of patients (docs/product-rules.md#fhir-export gives the figures).
CHUNK_PATIENTS = 100


def everything_bundle(patient: Patient, *, self_url: str) -> dict:
    """The patient's whole record as a searchset Bundle, as $everything returns it:
    the Patient (search mode match), then everything else (include), the
    Questionnaires the answers name and the Practitioners the record refers to.
    Every entry's fullUrl is urn:uuid:<id>, and every reference is one of them."""
    (loaded,) = selectors.load_records(Patient.objects.filter(pk=patient.pk))
    builder = fhir.RecordBuilder(loaded, reference=fhir.urn_reference)
    resources = builder.resources()
    resources += fhir.questionnaires()
    resources += [
        fhir.practitioner_resource(user)
        for user in selectors.practitioners(builder.practitioner_ids)
    ]
    entries = [
        {
            "fullUrl": f"urn:uuid:{resource['id']}",
            "resource": resource,
            "search": {"mode": "match" if resource["resourceType"] == "Patient" else "include"},
        }
        for resource in resources
    ]
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": instant(timezone.now())},
        "type": "searchset",
        "timestamp": instant(timezone.now()),
        "total": 1,
        "link": [{"relation": "self", "url": self_url}],
        "entry": entries,
    }


def patient_chunks(patients: QuerySet, size: int = CHUNK_PATIENTS) -> Iterator[list[Patient]]:
    """The patients, loaded for the export `size` at a time, in order of their key."""
    last = 0
    while True:
        ids = list(patients.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        last = ids[-1]
        yield selectors.load_records(Patient.objects.filter(pk__in=ids))


class NdjsonWriter:
    """One file per resource type in `folder`, written as `<Type>.ndjson.part` and
    renamed when the export is complete; then manifest.json."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.files = {}
        self.counts: dict[str, int] = {}

    def write(self, resource: dict) -> None:
        kind = resource["resourceType"]
        handle = self.files.get(kind)
        if handle is None:
            # Health records: the owner alone may read the files (0600), whatever
            # the umask.
            path = self.folder / f"{kind}.ndjson.part"
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            handle = self.files[kind] = os.fdopen(descriptor, "w", encoding="utf-8")
            self.counts[kind] = 0
        handle.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")))
        handle.write("\n")
        self.counts[kind] += 1

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()

    def finish(self, *, transaction_time: datetime.datetime, request: str) -> dict:
        self.close()
        for kind in self.files:
            (self.folder / f"{kind}.ndjson.part").replace(self.folder / f"{kind}.ndjson")
        manifest = {
            "transactionTime": instant(transaction_time),
            "request": request,
            "requiresAccessToken": False,
            "output": [
                {"type": kind, "url": f"{kind}.ndjson", "count": self.counts[kind]}
                for kind in sorted(self.files)
            ],
            "error": [],
        }
        (self.folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        return manifest

    def abandon(self) -> None:
        self.close()
        for kind in self.files:
            (self.folder / f"{kind}.ndjson.part").unlink(missing_ok=True)


def bulk_export(
    patients: QuerySet,
    writer: NdjsonWriter,
    *,
    on_chunk: Callable[[list[Patient]], None] = lambda chunk: None,
    chunk_size: int = CHUNK_PATIENTS,
) -> None:
    """Every resource of the patients, chunk by chunk, into the writer: the
    Questionnaires once, each Practitioner once (when a record first refers to them).
    `on_chunk` is told of each chunk written (progress, audit)."""
    for questionnaire in fhir.questionnaires():
        writer.write(questionnaire)
    written_practitioners: set[int] = set()
    for chunk in patient_chunks(patients, chunk_size):
        referred: set[int] = set()
        for patient in chunk:
            builder = fhir.RecordBuilder(patient, reference=fhir.relative_reference)
            for resource in builder.resources():
                writer.write(resource)
            referred |= builder.practitioner_ids
        new = referred - written_practitioners
        if new:
            for user in selectors.practitioners(new):
                writer.write(fhir.practitioner_resource(user))
            written_practitioners |= new
        on_chunk(chunk)
