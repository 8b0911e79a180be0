"""The busiest reads use their indexes on PostgreSQL (EXPLAIN of the real queries),
with a few thousand rows of a clinic whose plans are mostly over and whose trail is
long: the worklist and the counts on every dashboard, the schedule and the day's
lists, and the audit trail's pages for each filter.

The tables are analysed after the load, as autovacuum does on a clinic's server.
Where a few thousand rows make reading a whole small table the cheaper plan, and
only there, the test says so and turns sequential scans off for that read."""

import datetime
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from audit.selectors import audit_lists
from clinic.selectors import day_summary, todays_visits
from core.keyset import NEWER, OLDER, Cursor, page_queries
from intake.models import Patient
from plans.models import Plan
from plans.selectors import due_worklist, worklist_counts
from scheduling.models import Appointment
from scheduling.selectors import day_schedule, week_schedule
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="EXPLAIN plans are PostgreSQL's (scripts/with-postgres)",
    ),
]

PATIENTS = 3000
BIG_TABLES = {
    "intake_patient",
    "plans_plan",
    "scheduling_appointment",
    "audit_auditentry",
}


# --- Reading a plan -------------------------------------------------------------------


def _explain(sql: str, params=(), *, no_seq_scans=False, analyze=False) -> dict:
    with transaction.atomic(), connection.cursor() as cursor:
        if no_seq_scans:
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON, ANALYZE {analyze}) {sql}", params)
        [row] = cursor.fetchall()
    plan = row[0] if isinstance(row[0], list) else json.loads(row[0])
    return plan[0]["Plan"]


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _indexes(plan: dict) -> set[str]:
    return {node["Index Name"] for node in _nodes(plan) if "Index Name" in node}


def _seq_scans(plan: dict) -> set[str]:
    return {
        node["Relation Name"]
        for node in _nodes(plan)
        if node["Node Type"] == "Seq Scan" and node["Relation Name"] in BIG_TABLES
    }


def _plans_of(read, **options) -> list[tuple[str, dict]]:
    """Each query that `read()` runs, with its plan."""
    with CaptureQueriesContext(connection) as captured:
        read()
    return [(query["sql"], _explain(query["sql"], **options)) for query in captured]


def _assert_reads(read, *, index: str | set[str], table: str, **options):
    """The queries of `read` that read `table` use `index` (or one of them), and
    nothing big is read whole."""
    wanted = {index} if isinstance(index, str) else index
    found = False
    for sql, plan in _plans_of(read, **options):
        assert not _seq_scans(plan), (sql, json.dumps(plan, indent=1))
        if f'FROM "{table}"' in sql:
            assert wanted & _indexes(plan), (sql, json.dumps(plan, indent=1))
            found = True
    assert found, f"no query read {table}"


def _analyze():
    with connection.cursor() as cursor:
        for table in sorted(BIG_TABLES):
            cursor.execute(f"ANALYZE {table}")  # what autovacuum does after a load


# --- A clinic with a long past ---------------------------------------------------------


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def staff(front_desk, acupuncturist):
    return [acupuncturist, *(UserFactory(role="Acupuncturist") for _ in range(3))]


@pytest.fixture
def patients(front_desk):
    Patient.objects.bulk_create(
        Patient(
            first_name=f"Patient{n}",
            last_name=f"Name{n % 997}",
            date_of_birth=datetime.date(1940, 1, 1) + datetime.timedelta(days=n * 7),
            sex="unknown",
            phone=f"+1415{n:07d}",
            created_by=front_desk,
        )
        for n in range(PATIENTS)
    )
    return list(Patient.objects.order_by("pk"))


@pytest.fixture
def clinic(patients, staff, front_desk):
    """Most patients' plans are over; a few hundred are active, two in five of them
    due or overdue, some booked. Two years of visits, and a month ahead."""
    today = timezone.localdate()
    plans = []
    for n, patient in enumerate(patients):
        practitioner = staff[n % len(staff)]
        common = {
            "patient": patient,
            "practitioner": practitioner,
            "created_by": practitioner,
            "baseline_source": Plan.BaselineSource.INTAKE,
            "start_date": today - datetime.timedelta(days=400),
        }
        if n % 6 == 0:
            due = today + datetime.timedelta(days=(n // 6) % 90 - 30)  # 2 in 5 due
            plans.append(Plan(status=Plan.Status.ACTIVE, next_due=due, **common))
        else:
            ended = today - datetime.timedelta(days=30 + n % 300)
            plans.append(
                Plan(status=Plan.Status.COMPLETED, next_due=ended, ended_on=ended, **common)
            )
    Plan.objects.bulk_create(plans)

    visits = []
    for n in range(3 * PATIENTS):
        patient = patients[(n * 7) % PATIENTS]
        practitioner = staff[n % len(staff)]
        day = today - datetime.timedelta(days=n % 730)
        status = Appointment.Status.CANCELLED if n % 15 == 0 else Appointment.Status.ATTENDED
        visits.append((patient, practitioner, _at(day, 9 + n % 8), status))
    for n in range(PATIENTS // 15):
        patient = patients[(n * 18) % PATIENTS]  # some with a plan due
        practitioner = staff[n % len(staff)]
        day = today + datetime.timedelta(days=1 + n % 30)
        visits.append((patient, practitioner, _at(day, 9 + n % 8), Appointment.Status.BOOKED))
    Appointment.objects.bulk_create(
        Appointment(
            patient=patient,
            practitioner=practitioner,
            starts_at=starts_at,
            status=status,
            created_by=front_desk,
        )
        for patient, practitioner, starts_at, status in visits
    )
    _analyze()
    return {"today": today, "staff": staff}


# --- The worklist, the dashboards and the schedule ------------------------------------

ACTIVE_PLANS = {"plans_plan_active_due", "plans_plan_one_active_per_patient"}


def test_the_worklist_and_the_dashboards_counts_read_the_active_plans_indexes(clinic):
    today, someone = clinic["today"], clinic["staff"][1]
    counts = worklist_counts(due_worklist(today=today))
    assert counts["to_book"] > 100
    assert counts["booked"] > 10

    def counts_of_everyone():
        worklist_counts(due_worklist(today=today))

    def pages():
        for booked in (None, True, False):
            list(due_worklist(today=today, booked=booked)[:25])

    def one_practitioner():
        plans = due_worklist(today=today, practitioner_id=someone.pk)
        worklist_counts(plans)
        list(plans[:25])

    # Only the active plans are read, through a partial index: the one by due date, or
    # the one by patient (the one active plan each). The planner's estimate of the
    # plans due counts every plan's next_due, and ended plans keep theirs, in the
    # past: it takes most active plans to be due, and may prefer the smaller index.
    # Either way, the plans that ended are never read.
    _assert_reads(counts_of_everyone, index=ACTIVE_PLANS, table="plans_plan")
    _assert_reads(pages, index=ACTIVE_PLANS, table="plans_plan")
    _assert_reads(
        one_practitioner, index=ACTIVE_PLANS | {"plans_plan_practitioner_due"}, table="plans_plan"
    )
    # The list to book, soonest due first, is read in the order of the index by due
    # date (then sorted within a day by name), and stops at the page.
    _assert_reads(
        lambda: list(due_worklist(today=today, booked=False)[:25]),
        index="plans_plan_active_due",
        table="plans_plan",
    )
    # The patients booked ahead are read once, from the appointments' time index: not
    # looked up plan by plan (a correlated subplan, run once for every plan).
    [(_sql, plan)] = _plans_of(counts_of_everyone, analyze=True)
    assert "scheduling_appt_starts" in _indexes(plan)
    subplans = [node for node in _nodes(plan) if node.get("Parent Relationship") == "SubPlan"]
    assert all(node["Actual Loops"] == 1 for node in subplans), json.dumps(plan, indent=1)


def test_the_schedule_and_the_days_lists_read_the_visits_by_time(clinic):
    someone = clinic["staff"][2]
    day = clinic["today"] - datetime.timedelta(days=3)
    monday = day - datetime.timedelta(days=day.weekday())

    # With 3,000 charts, hashing the whole table of patients is cheaper than looking
    # up a week's visits' patients one by one; with a clinic's 50,000 it is not. So
    # sequential scans are off for these reads: what is checked is that the visits
    # come from their index, and the patients by their key.
    coax = {"no_seq_scans": True}
    # The whole clinic's day: the schedule, the front desk's summary. (At this size the
    # index on (practitioner, starts_at) is as small as the one on starts_at, and after
    # other tests have run the planner has been seen to pick it; both read the day's
    # range. At a clinic's size only the one on starts_at reads just the day.)
    for read in (lambda: day_schedule(day), day_summary):
        _assert_reads(
            read,
            index={"scheduling_appt_starts", "scheduling_appt_pract_starts"},
            table="scheduling_appointment",
            **coax,
        )
    # One practitioner's: their day and week, the acupuncturist's "Today" list.
    for read in (
        lambda: day_schedule(day, practitioner=someone),
        lambda: week_schedule(monday, someone),
        lambda: todays_visits(someone),
    ):
        _assert_reads(
            read, index="scheduling_appt_pract_starts", table="scheduling_appointment", **coax
        )


# --- The audit trail ------------------------------------------------------------------

# Mostly reads, as in a clinic; refusals are rare. (For an event that makes a large
# share of the trail, reading the trail by time and passing over the others costs
# about as much, and the planner may do that.)
EVENTS = (
    [AuditEntry.Event.READ] * 40
    + [AuditEntry.Event.UPDATE] * 5
    + [AuditEntry.Event.LISTED] * 3
    + [AuditEntry.Event.LOGIN, AuditEntry.Event.DENIED]
)


@pytest.fixture
def trail(patients, staff):
    """A year of entries by twenty staff, about a few of the patients each day; one
    of the staff (a locum) is seldom in it."""
    staff = [*staff, *(UserFactory() for _ in range(19 - len(staff)))]
    locum = UserFactory(username="locum")
    now = timezone.now()
    content_type = ContentType.objects.get_for_model(Patient)
    entries = []
    for n in range(20 * PATIENTS // 3):
        actor = locum if n % 97 == 0 else staff[n % len(staff)]
        event = EVENTS[n % len(EVENTS)]
        patient = None if event == AuditEntry.Event.LOGIN else patients[(n // 3) % PATIENTS]
        entries.append(
            AuditEntry(
                action=AuditEntry.Action.ACCESS,
                event=event,
                content_type=content_type,
                object_pk=str(n),
                object_repr="",
                actor=actor,
                username=actor.username,
                patient=patient,
                timestamp=now - datetime.timedelta(minutes=n * 37),
            )
        )
    AuditEntry.objects.bulk_create(entries)
    _analyze()
    middle = AuditEntry.objects.order_by("-timestamp", "-id")[len(entries) // 2]
    return {"staff": staff, "locum": locum, "patient": patients[5], "middle": middle}


FILTERS = {
    "none": ({}, ["audit_time_id"]),
    "patient": ({"patient": "patient"}, ["audit_patient_time_id"]),
    "user": ({"user": "username"}, ["audit_actor_time_id", "audit_username_time_id"]),
    "event": ({"event": AuditEntry.Event.DENIED}, ["audit_event_time_id"]),
    "dates": ({"date_from": "a month ago"}, ["audit_time_id"]),
}


def test_each_page_of_the_trail_reads_its_filters_index_in_order(trail):
    middle = trail["middle"]
    values = {
        "patient": trail["patient"],
        # A user seldom in the trail: for one who wrote a large share of it, reading
        # the trail by time and passing over the others' entries costs about as
        # much, and the planner may do that.
        "username": trail["locum"].username,
        "a month ago": timezone.localdate() - datetime.timedelta(days=30),
    }
    for name, (wanted, indexes) in FILTERS.items():
        lists = audit_lists(**{key: values.get(value, value) for key, value in wanted.items()})
        for position in (
            None,  # the first page
            Cursor(middle.timestamp, middle.pk, OLDER),
            Cursor(middle.timestamp, middle.pk, NEWER),
        ):
            where = (name, position and position.direction)
            queries = page_queries(lists, field="timestamp", position=position, per_page=50)
            assert len(queries) == len(indexes), where
            for query, index in zip(queries, indexes, strict=True):
                sql, params = query.query.sql_with_params()
                # As for the schedule: a page's patients, looked up by key, not the
                # whole (here small) table of patients hashed.
                plan = _explain(sql, params, no_seq_scans=True)
                assert index in _indexes(plan), (where, json.dumps(plan, indent=1))
                assert not _seq_scans(plan), (where, json.dumps(plan, indent=1))
