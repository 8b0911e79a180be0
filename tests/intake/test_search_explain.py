"""The patient search and the duplicate guard use their indexes on PostgreSQL
(EXPLAIN), with a few thousand charts: part of a name (trigram index of migration
0008) or of an email (the lowered email's, migration 0009), a whole or partial phone
number, a date of birth as typed; the guard's lookups by date of birth."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from intake.models import Patient
from intake.search import patient_search_name
from intake.selectors import patient_page, registrations_to_confirm
from intake.services import PossibleDuplicate, patient_create
from tests.factories import IntakeFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="trigram indexes and EXPLAIN plans are PostgreSQL's (scripts/with-postgres)",
    ),
]

CHARTS = 5000
FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Elif", "Femi", "Grace", "Hiro", "Inès", "Jonas"]
TRIGRAM_INDEXES = [
    "intake_patient_search_trgm",
    "intake_patient_phone_trgm",
    "intake_patient_email_lower_trgm",
]
LAST = ["Adams", "Björk", "Chen", "Dubois", "Eriksen", "Fontaine", "Gomez", "Haas", "Ito", "Jansen"]


@pytest.fixture
def many_charts(front_desk):
    charts = []
    for number in range(CHARTS):
        first, last = FIRST[number % 10], f"{LAST[number * 7 % 10]}{number}"
        charts.append(
            Patient(
                first_name=first,
                last_name=last,
                # bulk_create skips save(): the search column is filled here, as any
                # bulk writer must.
                search_name=patient_search_name(first, last),
                date_of_birth=datetime.date(1940, 1, 1) + datetime.timedelta(days=number * 5),
                sex="unknown",
                phone=f"+1415{number:07d}",
                email=f"patient{number}@example.org",
                created_by=front_desk,
            )
        )
    charts.append(
        Patient(
            first_name="Tomás",
            last_name="García",
            search_name=patient_search_name("Tomás", "García"),
            date_of_birth=datetime.date(1958, 3, 14),
            sex="male",
            phone="+12125550134",
            email="tomas.garcia@example.com",
            created_by=front_desk,
        )
    )
    Patient.objects.bulk_create(charts)
    with connection.cursor() as cursor:
        # What autovacuum does after a load: rows inserted after a GIN index was made
        # wait in its pending list, which the planner prices as read whole, until
        # they are merged; then fresh statistics. (VACUUM cannot run in the test's
        # transaction; these two can.) With them, at this size the planner picks the
        # indexes by itself: no planner setting is forced.
        for index in TRIGRAM_INDEXES:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute("ANALYZE intake_patient")


# What staff type, and the index that must answer it.
SEARCHES = [
    ("garcía", "intake_patient_search_trgm"),
    ("Tomas Garcia", "intake_patient_search_trgm"),
    ("5550134", "intake_patient_phone_trgm"),
    ("+1 212 555 0134", "intake_patient_phone"),
    ("1958-03-14", "intake_patient_dob"),
    ("03/14/1958", "intake_patient_dob"),
    ("03/14/58", "intake_patient_dob"),
    ("garcia@example", "intake_patient_email_lower_trgm"),
    ("@EXAMPLE.COM", "intake_patient_email_lower_trgm"),
    ("tomas.garcia", "intake_patient_email_lower_trgm"),
]


def test_each_search_reads_an_index_not_the_whole_table(many_charts, settings):
    settings.DATE_INPUT_ORDER = "MDY"
    # One test for all (the charts are made once): each query named when it fails.
    for query, index in SEARCHES:
        found = Patient.objects.search(query)
        assert [p.last_name for p in found] == ["García"], query

        plan = found.explain()

        assert f"Index Scan using {index} " in plan or f"Index Scan on {index} " in plan, (
            query,
            plan,
        )
        assert "Seq Scan" not in plan, (query, plan)


def test_the_patient_lists_page_of_a_name_search_reads_the_trigram_index(many_charts):
    page = patient_page(query="garcia", status="active", page_number=1)
    assert [p.last_name for p in page.object_list] == ["García"]

    plan = page.object_list.explain()

    assert "intake_patient_search_trgm" in plan, plan
    assert "Seq Scan" not in plan, plan


def _explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def _chart_reads(captured) -> list[str]:
    return [q["sql"] for q in captured if 'FROM "intake_patient"' in q["sql"]]


def test_the_duplicate_guards_lookup_reads_the_date_of_birth_index(many_charts, front_desk):
    tomas = {
        "first_name": "Tomas",
        "last_name": "Garcia",
        "date_of_birth": datetime.date(1958, 3, 14),
        "sex": "male",
        "phone": "+14155559999",
        "email": "",
    }
    with CaptureQueriesContext(connection) as captured:
        with pytest.raises(PossibleDuplicate) as refused:
            patient_create(data=tomas, created_by=front_desk)
    assert [p.last_name for p in refused.value.matches] == ["García"]

    reads = _chart_reads(captured)
    assert len(reads) == 1, reads
    plan = _explain(reads[0])
    assert "intake_patient_dob" in plan, plan
    assert "Seq Scan" not in plan, plan


def test_the_self_registration_queues_match_reads_the_date_of_birth_index(many_charts):
    for first in ["Tomas", "Ana"]:
        IntakeFactory(
            patient=None,
            submitted=True,
            first_name=first,
            last_name="Garcia",
            date_of_birth=datetime.date(1958, 3, 14),
            sex="unknown",
        )
    with CaptureQueriesContext(connection) as captured:
        page = registrations_to_confirm(1)
    assert sorted((r.first_name, r.has_match) for r in page) == [("Ana", False), ("Tomas", True)]

    [read] = _chart_reads(captured)
    plan = _explain(read)
    assert "intake_patient_dob" in plan, plan
    assert "Seq Scan" not in plan, plan
