import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import User
from core.models import Clinic
from intake.models import Intake, IntakeInvitation, Patient
from plans import cadence
from plans.models import Plan, PlanEvent
from plans.selectors import plan_outcome
from scheduling.models import Appointment
from sessions.models import AdverseEvent, Protocol, SessionPoint, TreatmentSession

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG off"):
        call_command("seed_demo")
    assert not User.objects.filter(username="frontdesk").exists()


def test_seed_demo_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=None)
    counts = (User.objects.count(), Patient.objects.count())
    call_command("seed_demo", stdout=None)
    assert (User.objects.count(), Patient.objects.count()) == counts
    assert counts[1] >= 12
    assert Patient.objects.archived().exists()
    assert Patient.objects.active().count() >= 10


@pytest.mark.parametrize(
    ("username", "role"),
    [
        ("frontdesk", roles.FRONT_DESK),
        ("acupuncturist", roles.ACUPUNCTURIST),
        ("clinicadmin", roles.CLINIC_ADMIN),
    ],
)
def test_demo_users_log_in_with_the_documented_password(settings, client, username, role):
    settings.DEBUG = True
    call_command("seed_demo", stdout=None)
    response = client.post(reverse("login"), {"username": username, "password": "acuclinic-demo"})
    assert response.status_code == 302
    assert User.objects.get(username=username).role_names == [role]


def test_demo_acupuncturist_holds_a_current_licence(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=None)
    profile = User.objects.get(username="acupuncturist").practitioner_profile
    assert profile.licence_is_current


def test_demo_data_has_intakes_in_every_status_the_chart_shows(settings, client):
    settings.DEBUG = True
    call_command("seed_demo", stdout=None)
    call_command("seed_demo", stdout=None)
    client.force_login(User.objects.get(username="frontdesk"))
    seen = set()
    for patient in Patient.objects.all():
        page = client.get(reverse("clinic:patient_detail", kwargs={"code": patient.code}))
        seen.update(re.findall(r'data-intake-status="(\w+)"', page.content.decode()))
    assert seen == {"not_sent", "sent", "in_progress", "submitted", "reviewed"}
    # Self-registrations waiting for the front desk, once each however often seeded.
    assert Intake.objects.pending_registrations().count() == 2
    assert IntakeInvitation.objects.filter(revoked_at__isnull=True).count() == 1


def test_the_demo_intake_link_opens_the_patient_form(settings, client):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    link = re.search(r"http://127\.0\.0\.1:8000(/intake/\S+/)", out.getvalue()).group(1)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    assert b"Step 1 of 6" in response.content


def test_demo_data_has_a_realistic_history_of_sessions(settings, client):
    settings.DEBUG = True
    call_command("seed_demo", stdout=None)
    counts = (TreatmentSession.objects.count(), SessionPoint.objects.count())
    call_command("seed_demo", stdout=None)
    assert (TreatmentSession.objects.count(), SessionPoint.objects.count()) == counts

    sessions = TreatmentSession.objects.all()
    assert sessions.filter(status="signed").count() >= 10
    assert sessions.values("patient").distinct().count() >= 3
    # Several visits per patient, with pain falling over the course.
    holloway = list(
        sessions.filter(patient__last_name="Holloway")
        .order_by("date")
        .values_list("pain_before", flat=True)
    )
    assert len(holloway) >= 4 and holloway[-1] < holloway[0]
    # What a clinic meets: an adverse event, a needle count that did not match (explained),
    # electroacupuncture with its settings, and an unsigned draft older than a day.
    assert AdverseEvent.objects.exists()
    mismatch = sessions.get(needles_inserted=12, needles_removed=11)
    assert mismatch.is_signed and mismatch.needle_count_explanation
    assert any(s.uses_electroacupuncture and s.ea_frequency_hz for s in sessions)
    acupuncturist = User.objects.get(username="acupuncturist")
    assert TreatmentSession.objects.stale_drafts(user=acupuncturist).count() == 1
    assert Protocol.objects.filter(name="Neck tension headache", is_active=True).exists()

    client.force_login(acupuncturist)
    chart = client.get(reverse("clinic:patient_detail", kwargs={"code": mismatch.patient.code}))
    assert b'data-alert="needle-count"' in chart.content
    assert b"Unsigned notes older than 24 hours" in client.get("/").content


def test_demo_plans_sit_on_every_rung_with_overdue_and_booked_visits(settings, client):
    settings.DEBUG = True
    call_command("seed_demo", stdout=None)
    before = (Plan.objects.count(), PlanEvent.objects.count(), Appointment.objects.count())
    call_command("seed_demo", stdout=None)
    assert (
        Plan.objects.count(),
        PlanEvent.objects.count(),
        Appointment.objects.count(),
    ) == before

    plans = Plan.objects.active()
    assert {plan.cadence for plan in plans} == {r.value for r in cadence.RUNGS}
    # Each plan's stored cadence is what the policy gives for its sessions.
    for plan in plans:
        outcome = plan_outcome(plan)
        assert (plan.cadence, plan.next_due) == (outcome.cadence, outcome.next_due)
    today = timezone.localdate()
    assert any(plan.is_overdue(today) for plan in plans)
    assert any("discharge_suggested" in plan.flags for plan in plans)
    assert Appointment.objects.upcoming().exists()
    assert set(Appointment.objects.values_list("status", flat=True)) == {
        "booked",
        "arrived",
        "attended",
        "cancelled",
        "no_show",
    }

    client.force_login(User.objects.get(username="frontdesk"))
    worklist = client.get(reverse("plans:due_list") + "?show=all").content.decode()
    assert "Overdue" in worklist
    booked = client.get(reverse("plans:due_list") + "?show=booked").content.decode()
    assert "Samuel Adeyemi" in booked


def test_the_demo_clinic_has_a_day_under_way_for_every_practitioner(settings):
    settings.DEBUG = True
    settings.TIME_ZONE = "America/Los_Angeles"
    call_command("seed_demo", stdout=io.StringIO())

    today = timezone.localdate()
    visits = [
        visit
        for visit in Appointment.objects.select_related("practitioner")
        if timezone.localtime(visit.starts_at).date() == today
    ]
    practitioners = {visit.practitioner.username for visit in visits}
    assert practitioners == {"acupuncturist", "acupuncturist2"}
    statuses = {visit.status for visit in visits}
    assert {"arrived", "attended", "booked"} <= statuses
    not_checked_in = [
        v
        for v in visits
        if v.status == "booked" and v.ends_at < timezone.now() - timedelta(hours=1)
    ]
    assert not_checked_in
    week = Appointment.objects.filter(
        starts_at__gt=timezone.now(), starts_at__lt=timezone.now() + timedelta(days=7)
    )
    assert week.values("practitioner").distinct().count() == 2
    assert Patient.objects.exclude(reminder_channel="none").exists()
    assert Clinic.current().address
