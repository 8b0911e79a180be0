import csv
import datetime
import hashlib
import io
import zoneinfo
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import sessions
from accounts.models import User
from audit.models import AuditEntry
from checkins.models import CheckIn
from clinic import loadgen
from clinic.management.commands.seed_load import _hours
from intake.models import Intake, IntakeMedication, IntakePainRegion, Patient
from plans import cadence, figures
from plans import services as plan_services
from plans.models import Plan, PlanEvent, PlanSession
from plans.selectors import derive_baseline, plan_outcome, plan_visits
from scheduling.models import Appointment
from sessions.models import AdverseEvent, Point, SessionPoint, TreatmentSession
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

# Children before parents, so a test can take a load out again.
LOADED = [
    AuditEntry,
    CheckIn,
    PlanEvent,
    PlanSession,
    AdverseEvent,
    SessionPoint,
    TreatmentSession,
    Appointment,
    Plan,
    IntakeMedication,
    IntakePainRegion,
    Intake,
    Patient,
]

# auditlog's own optional fields, empty on the entries the app writes too.
AUDIT_OPTIONAL = [
    "serialized_data",
    "additional_data",
    "cid",
    "remote_port",
    "changes",
    "changes_text",
    "object_pk",
    "object_repr",
    "actor_email",
]


def seed_load(**options):
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_load", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def loaded():
    seed_load(patients=60)


@pytest.fixture
def acupuncturist_client(client, loaded):
    client.force_login(User.objects.get(username="seed.acupuncturist01"))
    return client


def test_every_row_passes_the_models_validation_and_the_database_constraints(loaded):
    for model in loadgen.MODELS:
        rows = list(model.objects.order_by("?")[:40])
        assert rows, model
        for row in rows:
            if model is AuditEntry:
                row.full_clean(exclude=AUDIT_OPTIONAL)
            else:
                row.full_clean()
    connection.check_constraints()


def test_staff_are_acupuncturists_with_current_licences_and_front_desk_users(loaded):
    acupuncturists = User.objects.filter(username__startswith="seed.acupuncturist")
    assert acupuncturists.count() == 3
    for user in acupuncturists:
        assert user.role_names == ["Acupuncturist"]
        assert user.practitioner_profile.licence_is_current
        assert not user.has_usable_password()
    assert User.objects.get(username="seed.frontdesk1").role_names == ["Front desk"]


def test_each_plan_holds_what_replaying_its_sessions_gives(loaded):
    plans = Plan.objects.select_related("patient")
    assert plans.count() >= 50
    for plan in plans:
        visits = plan_visits(plan)
        outcome = plan_outcome(plan, visits)
        assert (
            plan.cadence,
            plan.policy_cadence,
            plan.on_hold,
            plan.next_due,
            plan.flags,
            plan.session_count,
        ) == (
            outcome.cadence,
            outcome.policy_cadence,
            outcome.held,
            outcome.next_due,
            [str(code) for code, _ in outcome.flags],
            outcome.session_count,
        ), plan
        baseline = derive_baseline(plan.patient, visits[0])
        assert (plan.baseline_pain, plan.baseline_source) == (baseline.value, baseline.source)
        # The figures the outcomes read (plans.figures), as signing keeps them.
        kept = figures.figures(
            plan.baseline_pain,
            [figures.Visit(v.date, v.pain_before, v.pain_medication_doses) for v in visits],
        )
        assert {name: getattr(plan, name) for name in figures.FIELDS} == kept.as_fields(), plan
        assert kept.latest_pain is not None
        # The history records each change the replay made, by the session that made it.
        changes = [step for step in outcome.steps if step.changed]
        events = plan.events.filter(kind=PlanEvent.Kind.CADENCE).order_by("created_at", "pk")
        assert [(e.from_value, e.to_value) for e in events] == [
            (str(step.before), str(step.after)) for step in changes
        ]


def test_replaying_an_active_plan_through_the_service_changes_nothing(loaded):
    user = User.objects.get(username="seed.acupuncturist01")
    for plan in Plan.objects.active():
        before = (plan.cadence, plan.next_due, plan.flags, plan.baseline_pain)
        events = plan.events.count()
        plan_services.plan_replay(plan=plan, user=user)
        plan.refresh_from_db()
        assert (plan.cadence, plan.next_due, plan.flags, plan.baseline_pain) == before
        assert plan.events.count() == events


def test_sessions_are_signed_with_five_to_twelve_points_on_open_days(loaded):
    hours = _hours()
    sessions = TreatmentSession.objects.all()
    assert {s.status for s in sessions} == {"signed"}
    per_session = Counter(SessionPoint.objects.values_list("session_id", flat=True))
    assert min(per_session.values()) >= 5
    assert max(per_session.values()) <= 12
    assert all(s.date.weekday() in hours for s in sessions)
    assert all(s.date < timezone.localdate() for s in sessions)
    codes = set(Point.objects.values_list("code", flat=True))
    for row in SessionPoint.objects.select_related("point")[:500]:
        assert row.point.code in codes
        midline = row.point.meridian in ("GV", "CV")
        assert (row.side == "midline") == midline


def test_appointments_fall_within_opening_hours_and_bookings_never_clash(loaded):
    hours = _hours()
    for appointment in Appointment.objects.all():
        local = timezone.localtime(appointment.starts_at)
        ends = (local + datetime.timedelta(minutes=appointment.length_minutes)).time()
        periods = hours[local.weekday()]
        assert any(opens <= local.time() and ends <= closes for opens, closes in periods)
    booked = Appointment.objects.filter(status="booked").order_by("practitioner", "starts_at")
    assert booked.exists()
    previous = None
    for appointment in booked:
        if previous and previous.practitioner_id == appointment.practitioner_id:
            assert previous.ends_at <= appointment.starts_at
        previous = appointment
    assert not booked.filter(starts_at__gt=timezone.now() + datetime.timedelta(days=32))
    assert Appointment.objects.filter(status="attended").count() == (
        TreatmentSession.objects.filter(appointment__isnull=False).count()
    )


def test_at_most_one_check_in_per_patient_is_waiting_for_answers(loaded):
    assert CheckIn.objects.filter(submitted_at__isnull=False).exists()
    waiting = Counter(
        CheckIn.objects.filter(submitted_at=None, revoked_at=None).values_list(
            "patient_id", flat=True
        )
    )
    assert set(waiting.values()) <= {1}


def test_the_pages_work_on_the_loaded_clinic(acupuncturist_client):
    plan = Plan.objects.active().select_related("patient").first()
    for url in [
        reverse("clinic:dashboard"),
        reverse("intake:patient_list"),
        reverse("intake:patient_list") + "?q=garcia",
        reverse("clinic:patient_detail", kwargs={"code": plan.patient.code}),
        reverse("plans:plan_detail", kwargs={"code": plan.patient.code}),
        reverse("plans:due_list"),
    ]:
        assert acupuncturist_client.get(url).status_code == 200, url


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_chart_and_plan_page_take_as_many_queries_for_a_long_history_as_a_short_one(
    acupuncturist_client,
):
    plans = sorted(Plan.objects.active().select_related("patient"), key=lambda p: p.session_count)
    short, long = plans[0].patient, plans[-1].patient
    assert plans[0].session_count < plans[-1].session_count
    for name in ("clinic:patient_detail", "plans:plan_detail"):
        counts = {
            _queries(acupuncturist_client, reverse(name, kwargs={"code": patient.code}))
            for patient in (short, long)
        }
        assert len(counts) == 1, name


def test_the_lists_take_as_many_queries_when_more_is_loaded(acupuncturist_client):
    urls = [reverse("clinic:dashboard"), reverse("intake:patient_list"), reverse("plans:due_list")]
    before = [_queries(acupuncturist_client, url) for url in urls]
    seed_load(patients=40, force=True)
    assert Patient.objects.count() == 100
    assert [_queries(acupuncturist_client, url) for url in urls] == before


def test_refuses_a_database_with_real_patients_unless_forced(front_desk):
    real = PatientFactory(first_name="Real", last_name="Person", created_by=front_desk)
    with pytest.raises(CommandError, match="1 real patient") as refused:
        seed_load(patients=5)
    assert refused.value.returncode == 2
    assert Patient.objects.count() == 1
    assert not User.objects.filter(username__startswith="seed.").exists()

    out, err = seed_load(patients=5, force=True)
    assert Patient.objects.count() == 6
    assert "adding 5 synthetic patients beside the 1 already here" in err
    assert Patient.objects.filter(code__range=loadgen.SEEDED_CODES).count() == 5
    assert Patient.objects.get(pk=real.pk).first_name == "Real"


def test_refuses_a_second_load_unless_forced(loaded):
    with pytest.raises(CommandError, match="60 patients from an earlier seed_load"):
        seed_load(patients=5)


def _digest() -> str:
    rows = [
        list(Patient.objects.order_by("code").values_list("code", "first_name", "last_name")),
        list(
            TreatmentSession.objects.order_by("code").values_list(
                "code", "patient__code", "date", "pain_before", "pain_after"
            )
        ),
        list(Plan.objects.order_by("code").values_list("code", "cadence", "next_due", "flags")),
        list(Appointment.objects.order_by("code").values_list("code", "starts_at", "status")),
        SessionPoint.objects.count(),
        # Not the entries of the staff users made by the first run, nor of _unload().
        AuditEntry.objects.exclude(patient=None).exclude(event="delete").count(),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _unload():
    for model in LOADED:
        model.objects.all().delete()


def test_the_same_seed_makes_the_same_clinic():
    seed_load(patients=15, seed=7)
    first = _digest()
    _unload()
    seed_load(patients=15, seed=7)
    assert _digest() == first
    _unload()
    seed_load(patients=15, seed=8)
    assert _digest() != first


def test_names_are_varied_with_accents_and_shared_common_names(loaded):
    names = list(Patient.objects.values_list("first_name", "last_name"))
    assert any(not (first + last).isascii() for first, last in names)
    patient = Patient.objects.exclude(last_name__regex=r"^[A-Za-z' ]+$").first()
    assert patient.search_name.isascii()
    assert len({phone for phone in Patient.objects.values_list("phone", flat=True)}) == 60


def test_prints_the_rows_loaded_and_plain_progress_lines_off_a_terminal():
    out, err = seed_load(patients=10)
    assert "10 patients loaded" in out
    assert "treatment_sessions_sessionpoint" in out
    assert "\r" not in err
    assert "10/10 patients" in err


@pytest.mark.skipif(connection.vendor != "postgresql", reason="indexes are rebuilt on PostgreSQL")
def test_postgres_indexes_and_constraints_are_back_after_the_load():
    def definitions():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY indexdef",
                [[model._meta.db_table for model in loadgen.MODELS]],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid::regclass::text = ANY(%s) ORDER BY conname",
                [[model._meta.db_table for model in loadgen.MODELS]],
            )
            return indexes, cursor.fetchall()

    before = definitions()
    out, err = seed_load(patients=10)
    assert "Rebuilt" in err
    assert definitions() == before


# --- the shape of a larger clinic, from the generator alone (no database writes) --------


@pytest.fixture(scope="module")
def generated():
    staff = loadgen.Staff(
        practitioners=[(n, f"p{n}", f"p{n}@clinic.example") for n in range(1, 6)],
        front_desk=[(10, "d", "d@clinic.example")],
        admin=(11, "a", "a@clinic.example"),
    )
    with open(Path(sessions.__file__).parent / "data" / "who_points.csv") as data:
        points = {row["code"]: number for number, row in enumerate(csv.DictReader(data), 1)}
    generator = loadgen.Generator(
        patients=2000,
        seed=19,
        today=datetime.date(2026, 3, 4),
        tz=zoneinfo.ZoneInfo("America/Los_Angeles"),
        hours={day: [(datetime.time(9), datetime.time(17))] for day in range(5)},
        years=10,
        staff=staff,
        points=points,
        ids=dict.fromkeys(loadgen.MODELS, 1),
        content_types={model: number for number, model in enumerate(loadgen.MODELS)},
    )
    rows = {model: [] for model in loadgen.MODELS}
    for chunk in generator.chunks(1000):
        for model, chunk_rows in chunk.rows.items():
            rows[model].extend(chunk_rows)
    return rows


def _column(model, name):
    return loadgen.COLUMNS[model].index(name)


def test_a_generated_clinic_has_mostly_ended_plans_and_active_ones_at_every_rung(generated):
    plans = generated[Plan]
    status, rung = _column(Plan, "status"), _column(Plan, "cadence")
    active = [plan for plan in plans if plan[status] == "active"]
    assert 0.07 < len(active) / 2000 < 0.16
    assert {plan[rung] for plan in active} == {rung.value for rung in cadence.RUNGS}
    assert {plan[status] for plan in plans} == {"active", "completed", "discontinued"}
    due = _column(Plan, "next_due")
    today = datetime.date(2026, 3, 4)
    overdue = [plan for plan in active if cadence.is_overdue(plan[due], today)]
    assert 0.15 < len(overdue) / len(active) < 0.5
    assert any(plan[due] > today for plan in active)
    patients = generated[Patient]
    archived = [p for p in patients if p[_column(Patient, "status")] == "archived"]
    assert 0.03 < len(archived) / len(patients) < 0.12


def test_a_generated_clinic_has_twenty_sessions_a_patient_and_adverse_events_at_the_rate(
    generated,
):
    sessions = generated[TreatmentSession]
    assert 15 < len(sessions) / 2000 < 25
    per_plan = Counter(row[_column(PlanSession, "plan_id")] for row in generated[PlanSession])
    assert max(per_plan.values()) <= 40
    assert sum(count >= 8 for count in per_plan.values()) / len(per_plan) > 0.9
    points = len(generated[SessionPoint]) / len(sessions)
    assert 6 < points < 10
    patient_of = {row[0]: row[_column(TreatmentSession, "patient_id")] for row in sessions}
    with_events = {
        patient_of[row[_column(AdverseEvent, "session_id")]] for row in generated[AdverseEvent]
    }
    treated = len(set(patient_of.values()))
    assert 0.06 < len(with_events) / treated < 0.115
    audit = len(generated[AuditEntry]) / len(sessions)
    assert 3 < audit < 4.5
