"""GET /patients/<code>/sessions.csv: the patient's signed sessions as CSV."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from tests.factories import TEN_POINTS, PatientFactory, TreatmentSessionFactory

pytestmark = pytest.mark.django_db


def url(patient) -> str:
    return f"/patients/{patient.code}/sessions.csv"


@pytest.fixture
def ac_client(client, acupuncturist):
    client.force_login(acupuncturist)
    return client


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_one_row_per_signed_session_oldest_first_in_the_words_of_the_note(
    ac_client, full_patient, acupuncturist
):
    response = ac_client.get(url(full_patient))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, *body = rows(response)
    assert header == [
        "Date",
        "Practitioner",
        "Pain before",
        "Pain after",
        "Points",
        "Modalities",
        "Adverse events",
    ]
    today = timezone.localdate()
    assert body == [
        [
            (today - datetime.timedelta(days=14)).isoformat(),
            str(acupuncturist),
            "7",
            "4",
            "GB20 L, BL23, GV20, LI4 R",
            "Manual needling; Electroacupuncture",
            "Bruising / haematoma (mild, causality probable / likely)",
        ],
        [
            (today - datetime.timedelta(days=7)).isoformat(),
            str(acupuncturist),
            "5",
            "3",
            "GB21",
            "Manual needling",
            "",
        ],
    ]  # the draft and the discarded note are not there


def test_the_file_name_carries_no_name_and_the_download_is_audited(
    ac_client, full_patient, acupuncturist
):
    response = ac_client.get(url(full_patient))

    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="sessions-{timezone.localdate():%Y-%m-%d}.csv"'
    assert "Lindqvist" not in disposition
    entry = AuditEntry.objects.get(event=AuditEntry.Event.EXPORT)
    assert (entry.actor, entry.patient_id) == (acupuncturist, full_patient.pk)


def test_a_cell_a_spreadsheet_would_run_starts_with_a_quote(ac_client, acupuncturist, front_desk):
    patient = PatientFactory(created_by=front_desk)
    practitioner = acupuncturist
    practitioner.first_name, practitioner.last_name = '=HYPERLINK("x")', "Smith"
    practitioner.save()
    TreatmentSessionFactory(patient=patient, created_by=practitioner, signed=True)

    (_header, row) = rows(ac_client.get(url(patient)))

    assert row[1] == '\'=HYPERLINK("x") Smith'


def test_the_front_desk_is_refused(desk_client, full_patient):
    assert desk_client.get(url(full_patient)).status_code == 403
    assert not AuditEntry.objects.filter(event=AuditEntry.Event.EXPORT).exists()


def test_the_csv_runs_the_same_queries_for_2_or_20_sessions(ac_client, acupuncturist, front_desk):
    patient = PatientFactory(created_by=front_desk)

    def add(count, start):
        for n in range(start, start + count):
            session = TreatmentSessionFactory(
                patient=patient,
                created_by=acupuncturist,
                signed=True,
                points=TEN_POINTS,
                date=timezone.localdate() - datetime.timedelta(days=n),
            )
            session.adverse_events.create(kind="bleeding", severity="mild", causality="certain")

    def run():
        with CaptureQueriesContext(connection) as captured:
            response = ac_client.get(url(patient))
        return len(rows(response)) - 1, len(captured)

    add(2, 0)
    ac_client.get(url(patient))
    few_rows, few = run()
    add(18, 2)
    many_rows, many = run()

    assert (few_rows, many_rows) == (2, 20)
    assert many == few


def test_the_progress_page_links_to_the_csv_and_the_fhir_record(ac_client, full_patient):
    page = ac_client.get(f"/patients/{full_patient.code}/progress/").content.decode()

    assert f'href="/patients/{full_patient.code}/sessions.csv"' in page
    assert f'href="/fhir/Patient/{full_patient.code}/$everything"' in page
