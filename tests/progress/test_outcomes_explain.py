"""The clinic outcomes' queries on PostgreSQL, read with EXPLAIN: the signed sessions are
read once per query in a set-based pass, never by a subquery looping once per plan or
per session (which is what made /outcomes/ take minutes at 5,000 patients), and the
plan figures are not compiled to machine code first."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plans.models import PlanSession
from progress.outcomes import Filters, clinic_outcomes
from sessions.models import AdverseEvent, TreatmentSession
from tests.factories import PractitionerProfileFactory
from tests.progress.test_outcomes import days_ago, treat

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="EXPLAIN plans are PostgreSQL's; SQLite runs the same queries in the other tests",
    ),
]

SESSIONS = TreatmentSession._meta.db_table
PLAN_SESSIONS = PlanSession._meta.db_table
RUN_ONCE = ("CTE ", "InitPlan", "hashed SubPlan")


def _filters(practitioner) -> list[Filters]:
    today = timezone.localdate()
    return [
        Filters(),
        Filters(date_from=today - datetime.timedelta(days=90), date_to=today),
        Filters(pain_type="neck_pain"),
        Filters(practitioner_id=practitioner.pk, date_to=days_ago(10), pain_type="migraine"),
    ]


@pytest.fixture
def history():
    practitioner = PractitionerProfileFactory().user
    for number in range(6):
        plan = treat(
            practitioner,
            [8, 7 - number % 3, 6, 5 - number % 2, 4],
            pain_types=[("neck_pain", "migraine")[number % 2]],
            intake_doses=number,
            doses=[None, 2, None, number % 3],
        )
        AdverseEvent.objects.create(
            session=plan.sessions[1], kind="bruising", severity="mild", causality="possible"
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return practitioner


def _plans(filters: Filters) -> list[dict]:
    """The JSON plan of each query the outcomes run for these filters."""
    with CaptureQueriesContext(connection) as queries:
        clinic_outcomes(filters)
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            # The plan figures' statement begins by turning JIT off for itself.
            sql = query["sql"]
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            document = cursor.fetchone()[0]
            document = json.loads(document) if isinstance(document, str) else document
            plans.append(document[0]["Plan"])
    return plans


def _nodes(node: dict, inside: tuple = ()):
    """Every node with the names of the subplans it is inside."""
    here = inside + ((node["Subplan Name"],) if "Subplan Name" in node else ())
    yield node, here
    for child in node.get("Plans", ()):
        yield from _nodes(child, here)


def _session_scans(plan: dict) -> list[tuple[dict, tuple]]:
    return [
        (node, inside) for node, inside in _nodes(plan) if node.get("Relation Name") == SESSIONS
    ]


def test_no_query_reads_the_sessions_in_a_subplan_per_plan_or_per_session(history):
    for filters in _filters(history):
        plans = _plans(filters)
        assert len(plans) == 3, filters
        for plan in plans:
            scans = _session_scans(plan)
            # The sessions are read once in each query that needs them, in the
            # query's main join: not once per row of an outer query.
            assert len(scans) <= 1, (filters, scans)
            for _node, inside in scans:
                assert all(name.startswith(RUN_ONCE) for name in inside), (filters, inside)
            # Nor does any subplan run again for each row over a plan's sessions.
            for node, _inside in _nodes(plan):
                name = node.get("Subplan Name", "")
                if name and not name.startswith(RUN_ONCE):
                    tables = {inner.get("Relation Name") for inner, _ in _nodes(node)}
                    assert not tables & {SESSIONS, PLAN_SESSIONS}, (filters, name, tables)


def test_the_plan_figures_read_the_plans_kept_figures_unless_the_period_ended(history):
    # Every signed session counts: the plan figures read what each plan keeps
    # (plans/figures.py), and only the adverse-event queries read the sessions.
    scans = [len(_session_scans(plan)) for plan in _plans(Filters())]
    assert scans == [0, 1, 1]  # plan figures, sessions per patient, events

    # A period that ended before today counts the sessions up to its end: read once.
    ended = Filters(date_to=days_ago(10))
    assert [len(_session_scans(plan)) for plan in _plans(ended)] == [1, 1, 1]


def test_queries_are_not_compiled_to_machine_code_first(history):
    # JIT compiling took 2-4 s of a 4 s request at 5,000 patients, against a few
    # hundred ms of running the query; the app's connections turn it off.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
