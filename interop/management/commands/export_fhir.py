"""The whole clinic as FHIR R4 Bulk Data NDJSON (interop.export).

    python manage.py export_fhir --out DIR [--since YYYY-MM-DD]

One file per resource type (Patient.ndjson, Observation.ndjson, ...) and a
manifest.json, in DIR (made if missing; refused when it already holds an export).
Patients are read and written a chunk at a time, so memory stays flat however many
there are. --since exports the whole record of each patient whose record changed on
or after that day (clinic time; interop.selectors.changed_since says what counts).
Every patient exported gets an export entry in the audit trail.
"""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.trail import record_exported
from core.progress import ProgressLine
from intake.models import Patient
from interop import export, selectors

AUDIT_USERNAME = "manage.py export_fhir"


def _day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--since must be a date written YYYY-MM-DD, e.g. 2025-01-31; got {text!r}."
        ) from None


class Command(BaseCommand):
    help = (
        "Export every patient's record as FHIR R4 Bulk Data NDJSON files, one per "
        "resource type, with a manifest.json."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="the folder to write the files to")
        parser.add_argument(
            "--since",
            help="only patients whose record changed on or after this day (YYYY-MM-DD)",
        )

    def handle(self, *args, **options):
        folder = Path(options["out"])
        since = _day(options["since"]) if options["since"] else None
        if since is not None and since > timezone.localdate():
            raise CommandError(f"--since {since:%Y-%m-%d} is in the future.")
        self._prepare(folder)
        transaction_time = timezone.now()
        if since is None:
            patients = Patient.objects.all()
            request = "manage.py export_fhir"
        else:
            moment = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
            patients = selectors.changed_since(moment)
            request = f"manage.py export_fhir --since {since:%Y-%m-%d}"
        total = patients.count()
        progress = ProgressLine(self.stderr, total)
        writer = export.NdjsonWriter(folder)
        done = 0

        def on_chunk(chunk):
            nonlocal done
            record_exported(
                chunk, username=AUDIT_USERNAME, changes={"format": ["", "FHIR R4 NDJSON"]}
            )
            done += len(chunk)
            progress.show(done)

        try:
            export.bulk_export(patients, writer, on_chunk=on_chunk)
        except BaseException:
            writer.abandon()
            raise
        manifest = writer.finish(transaction_time=transaction_time, request=request)
        progress.show(done, final=True)
        for output in manifest["output"]:
            self.stdout.write(f"  {output['url']:<36} {output['count']:>10,}")
        self.stdout.write(f"{done:,} patient(s) exported to {folder}.")

    def _prepare(self, folder: Path) -> None:
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"--out {folder} is a file, not a folder.")
        if folder.is_dir() and any(
            path.name == "manifest.json" or path.name.endswith((".ndjson", ".ndjson.part"))
            for path in folder.iterdir()
        ):
            raise CommandError(
                f"--out {folder} already holds an export: choose an empty folder, or move "
                "the files away first."
            )
        try:
            # Every patient's record: readable by the clinic's account only.
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"Cannot make the folder {folder}: {error.strerror}.") from None
