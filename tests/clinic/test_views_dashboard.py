"""The dashboard's view of the clinic's day: the acupuncturist's "Today" list (their
own visits of the day, in time order, with what they need before each one) and the
front desk's summary of the day (arrived, still to come, not checked in)."""

import datetime
import functools
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic import views as clinic_views
from clinic.selectors import day_summary
from plans.models import Plan
from scheduling.models import Appointment
from tests.factories import (
    AppointmentFactory,
    IntakeFactory,
    PatientFactory,
    PractitionerProfileFactory,
    TreatmentSessionFactory,
    make_invitation,
    make_plan,
)

pytestmark = pytest.mark.django_db


def _at(hour: int, minute: int = 0, *, days: int = 0) -> datetime.datetime:
    """A time of the clinic's day (settings.TIME_ZONE), `days` from today."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _visit(practitioner, *, hour=10, minute=0, days=0, **fields) -> Appointment:
    if "patient" not in fields:
        fields["patient"] = PatientFactory()
    return AppointmentFactory(
        practitioner=practitioner, starts_at=_at(hour, minute, days=days), **fields
    )


def _today_section(response) -> str:
    page = response.content.decode()
    found = re.search(r'<section[^>]*id="today".*?</section>', page, re.S)
    assert found, "no Today list on the page"
    return found.group(0)


def _rows(response) -> dict[str, str]:
    """The Today list's rows in page order: appointment code -> the row's HTML."""
    section = _today_section(response)
    parts = re.split(r'<li class="list-group-item[^"]*" data-appointment="', section)[1:]
    return {part.split('"', 1)[0]: part for part in parts}


def _row(response, appointment) -> str:
    return _rows(response)[str(appointment.code)]


def _count(response, name: str) -> int:
    found = re.search(rf'data-count="{name}">(\d+)<', response.content.decode())
    assert found, f"no data-count={name} on the page"
    return int(found.group(1))


@pytest.fixture
def acu_client(client, acupuncturist):
    client.force_login(acupuncturist)
    return client


# --- The acupuncturist's Today list ------------------------------------------------


def test_the_acupuncturists_dashboard_opens_with_their_own_visits_of_today_in_time_order(
    acu_client, acupuncturist
):
    afternoon = _visit(acupuncturist, hour=14)
    morning = _visit(acupuncturist, hour=9)
    late_morning = _visit(acupuncturist, hour=11, minute=30)
    colleague = PractitionerProfileFactory().user
    _visit(colleague, hour=10)
    _visit(acupuncturist, hour=10, days=1)
    _visit(acupuncturist, hour=10, days=-1)

    response = acu_client.get("/")

    assert list(_rows(response)) == [str(morning.code), str(late_morning.code), str(afternoon.code)]
    page = response.content.decode()
    assert page.index('id="today"') < page.index("Find a patient")
    assert "3 visits booked with you" in _today_section(response)


def test_each_visit_shows_the_time_and_links_to_the_patients_chart(acu_client, acupuncturist):
    patient = PatientFactory(first_name="Ada", last_name="Quill")
    visit = _visit(acupuncturist, hour=9, minute=30, patient=patient)

    row = _row(acu_client.get("/"), visit)

    assert "09:30" in row and "10:15" in row  # 45 minutes
    assert f'href="/patients/{patient.code}/"' in row
    assert "Ada Quill" in row


def test_a_checked_in_patient_shows_as_arrived_with_the_time(acu_client, acupuncturist):
    arrived = _visit(
        acupuncturist, hour=9, status=Appointment.Status.ARRIVED, arrived_at=_at(9, 12)
    )
    waiting = _visit(acupuncturist, hour=11)

    response = acu_client.get("/")

    assert 'data-status="arrived"' in _today_section(response)
    assert "Arrived 09:12" in _row(response, arrived)
    assert "Not arrived yet" in _row(response, waiting)
    assert "Arrived" not in _row(response, waiting)


def test_each_visit_shows_the_patients_intake_status(acu_client, acupuncturist, front_desk):
    submitted = _visit(acupuncturist, hour=9)
    IntakeFactory(patient=submitted.patient, submitted=True)
    started = _visit(acupuncturist, hour=10)
    IntakeFactory(patient=started.patient)
    sent = _visit(acupuncturist, hour=11)
    make_invitation(sent.patient, created_by=front_desk)
    nothing = _visit(acupuncturist, hour=12)

    response = acu_client.get("/")

    assert 'data-intake-status="submitted"' in _row(response, submitted)
    assert 'data-intake-status="in_progress"' in _row(response, started)
    assert 'data-intake-status="sent"' in _row(response, sent)
    assert 'data-intake-status="not_sent"' in _row(response, nothing)


def test_each_visit_shows_the_safety_badges_of_the_last_submitted_intake(acu_client, acupuncturist):
    visit = _visit(acupuncturist)
    IntakeFactory(
        patient=visit.patient,
        submitted=True,
        submitted_at=timezone.now() - datetime.timedelta(days=30),
        epilepsy="yes",
    )
    IntakeFactory(
        patient=visit.patient,
        submitted=True,
        pregnant="yes",
        pregnancy_weeks=14,
        anticoagulants="not_sure",
        fainting="yes",
        diabetes="not_sure",
        skin_problem="yes",
    )
    IntakeFactory(patient=visit.patient, pacemaker="yes")  # a draft: not acted on yet
    calm = _visit(acupuncturist, hour=12)
    IntakeFactory(patient=calm.patient, submitted=True)

    response = acu_client.get("/")

    row = _row(response, visit)
    assert "Pregnant (14 weeks)" in row
    assert "Bleeding risk?" in row
    assert "Fainting / fear of needles" in row
    assert "Diabetes?" in row
    assert "Broken or infected skin" in row
    assert "Epilepsy" not in row
    assert "Pacemaker" not in row
    assert "safety-flags" not in _row(response, calm)


def test_each_visit_shows_the_cadence_of_the_patients_active_plan(acu_client, acupuncturist):
    planned = _visit(acupuncturist, hour=9)
    make_plan(planned.patient, user=acupuncturist)
    unplanned = _visit(acupuncturist, hour=10)

    response = acu_client.get("/")

    assert 'data-cadence="weekly"' in _row(response, planned)
    assert "Plan: Every week" in _row(response, planned)
    assert 'data-cadence=""' in _row(response, unplanned)
    assert "No active plan" in _row(response, unplanned)


def test_each_visit_shows_the_pain_before_and_after_of_the_last_signed_session(
    acu_client, acupuncturist
):
    visit = _visit(acupuncturist)
    today = timezone.localdate()
    common = {"patient": visit.patient, "created_by": acupuncturist}
    TreatmentSessionFactory(
        **common, signed=True, date=today - datetime.timedelta(days=14), pain_before=8
    )
    TreatmentSessionFactory(
        **common,
        signed=True,
        date=today - datetime.timedelta(days=7),
        pain_before=6,
        pain_after=2,
    )
    TreatmentSessionFactory(**common, date=today, pain_before=9, pain_after=None)  # a draft
    new_patient = _visit(acupuncturist, hour=12)

    response = acu_client.get("/")

    row = _row(response, visit)
    assert 'data-last-pain="6-2"' in row
    assert "pain 6 → 2" in row
    assert "No signed session yet" in _row(response, new_patient)


def test_start_session_opens_the_session_form_linked_to_the_visit(acu_client, acupuncturist):
    visit = _visit(acupuncturist, hour=9)
    url = f"/patients/{visit.patient.code}/sessions/new/?appointment={visit.code}"

    assert f'href="{url.replace("&", "&amp;")}"' in _row(acu_client.get("/"), visit)
    form = acu_client.get(url)
    assert form.status_code == 200
    assert f'name="appointment" value="{visit.code}"' in form.content.decode()


def test_a_cancelled_visit_is_marked_and_offers_no_session(acu_client, acupuncturist):
    cancelled = _visit(acupuncturist, hour=9, status=Appointment.Status.CANCELLED)
    no_show = _visit(acupuncturist, hour=10, status=Appointment.Status.NO_SHOW)

    response = acu_client.get("/")

    assert 'data-status="cancelled"' in _today_section(response)
    assert "Cancelled" in _row(response, cancelled)
    assert "Start session" not in _row(response, cancelled)
    assert "No-show" in _row(response, no_show)
    assert "Start session" not in _row(response, no_show)


def test_a_visit_whose_session_is_started_offers_the_note_not_a_second_session(
    acu_client, acupuncturist
):
    drafted = _visit(acupuncturist, hour=9)
    draft = TreatmentSessionFactory(
        patient=drafted.patient, created_by=acupuncturist, appointment=drafted
    )
    signed = _visit(acupuncturist, hour=10, status=Appointment.Status.ATTENDED)
    note = TreatmentSessionFactory(
        patient=signed.patient, created_by=acupuncturist, appointment=signed, signed=True
    )

    response = acu_client.get("/")

    assert "Start session" not in _row(response, drafted)
    assert f'href="/sessions/{draft.code}/edit/"' in _row(response, drafted)
    assert f'href="/sessions/{note.code}/"' in _row(response, signed)
    assert 'data-status="attended"' in _today_section(response)


def test_without_visits_today_the_list_says_so(acu_client, acupuncturist):
    _visit(acupuncturist, days=1)
    assert "No visits are booked with you today." in _today_section(acu_client.get("/"))


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin", "no_role"])
def test_only_acupuncturists_get_a_today_list(client, users, acupuncturist, role):
    _visit(acupuncturist)
    client.force_login(users[role])
    response = client.get("/")
    assert response.status_code == 200
    assert 'id="today"' not in response.content.decode()
    assert "data-appointment=" not in response.content.decode()


def test_the_today_list_runs_the_same_number_of_queries_for_2_or_12_visits(
    acu_client, acupuncturist, front_desk
):
    def busy_visits(count, first_hour):
        for n in range(count):
            visit = _visit(acupuncturist, hour=first_hour + n // 2, minute=30 * (n % 2))
            IntakeFactory(patient=visit.patient, submitted=True, pregnant="yes")
            make_invitation(visit.patient, created_by=front_desk)
            make_plan(visit.patient, user=acupuncturist)
            TreatmentSessionFactory(
                patient=visit.patient,
                created_by=acupuncturist,
                signed=True,
                date=timezone.localdate() - datetime.timedelta(days=7),
            )
            TreatmentSessionFactory(
                patient=visit.patient, created_by=acupuncturist, appointment=visit
            )

    busy_visits(2, 8)
    acu_client.get("/")  # session and permission caches warmed alike for both runs

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = acu_client.get("/")
        assert response.status_code == 200
        return len(_rows(response)), len(captured)

    few_rows, few = queries()
    busy_visits(10, 13)
    many_rows, many = queries()
    assert (few_rows, many_rows) == (2, 12)
    assert many == few


# --- The clinic's time zone ------------------------------------------------------------


def test_the_today_list_shows_the_clinics_local_time(client, acupuncturist, settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    timezone.deactivate()
    clinic = zoneinfo.ZoneInfo("America/Los_Angeles")
    today = datetime.datetime.now(clinic).date()
    starts_at = datetime.datetime.combine(today, datetime.time(17, 30), tzinfo=datetime.UTC)
    visit = _visit(acupuncturist, patient=PatientFactory())
    Appointment.objects.filter(pk=visit.pk).update(starts_at=starts_at)
    local = starts_at.astimezone(clinic)
    if local.utcoffset() == datetime.timedelta(hours=-8):  # Pacific standard time
        assert f"{local:%H:%M}" == "09:30"

    client.force_login(acupuncturist)
    row = _row(client.get("/"), visit)

    assert f"{local:%H:%M}" in row
    assert "17:30" not in row


def test_the_today_list_is_the_clinics_day_not_the_utc_day(client, acupuncturist, settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    timezone.deactivate()
    clinic = zoneinfo.ZoneInfo("America/Los_Angeles")
    today = datetime.datetime.now(clinic).date()
    evening = _visit(acupuncturist)
    after_midnight = _visit(acupuncturist)
    # 23:30 in Los Angeles is already tomorrow in UTC; 00:30 tomorrow is another day.
    Appointment.objects.filter(pk=evening.pk).update(
        starts_at=datetime.datetime.combine(today, datetime.time(23, 30), tzinfo=clinic)
    )
    Appointment.objects.filter(pk=after_midnight.pk).update(
        starts_at=datetime.datetime.combine(
            today + datetime.timedelta(days=1), datetime.time(0, 30), tzinfo=clinic
        )
    )

    client.force_login(acupuncturist)
    rows = _rows(client.get("/"))

    assert list(rows) == [str(evening.code)]
    assert "23:30" in rows[str(evening.code)]


# --- The front desk's summary of the day ----------------------------------------------


def _day(practitioner, *, now):
    """Visits of today around `now`: two arrived (one since seen), one to come, one
    still booked that ended more than an hour ago, one that ended half an hour ago,
    one cancelled, one no-show; and visits of other days, which do not count."""
    visits = {
        "arrived": _visit(practitioner, hour=8, status=Appointment.Status.ARRIVED),
        "seen": _visit(practitioner, hour=9, status=Appointment.Status.ATTENDED),
        "to_come": _visit(practitioner, hour=15),
        "late": _visit(practitioner, hour=10),  # ended 10:45, so late from 11:45
        "just_ended": _visit(practitioner, hour=11),  # ended 11:45: not yet late at noon
        "cancelled": _visit(practitioner, hour=13, status=Appointment.Status.CANCELLED),
        "no_show": _visit(practitioner, hour=8, minute=30, status=Appointment.Status.NO_SHOW),
    }
    _visit(practitioner, hour=10, days=-1)
    _visit(practitioner, hour=10, days=1)
    return visits


def test_the_days_summary_counts_arrivals_visits_to_come_and_patients_not_checked_in(
    acupuncturist,
):
    noon = _at(12)
    _day(acupuncturist, now=noon)

    summary = day_summary(now=noon)

    assert (summary.arrived, summary.to_come, summary.not_checked_in) == (2, 2, 1)
    assert (summary.cancelled, summary.no_show, summary.total) == (1, 1, 6)


def test_a_visit_still_booked_an_hour_after_it_ended_is_not_checked_in(acupuncturist):
    _visit(acupuncturist, hour=10)  # 10:00-10:45
    assert day_summary(now=_at(11, 44)).not_checked_in == 0
    assert day_summary(now=_at(11, 45)).not_checked_in == 1


@pytest.fixture
def at_noon(monkeypatch):
    """The dashboard's summary as it is at noon today, whatever the time now."""
    monkeypatch.setattr(clinic_views, "day_summary", functools.partial(day_summary, now=_at(12)))


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_the_front_desk_and_the_clinic_admin_see_the_days_summary_with_the_schedule_link(
    client, users, acupuncturist, role, at_noon
):
    _day(acupuncturist, now=_at(12))
    client.force_login(users[role])

    response = client.get("/")

    assert _count(response, "arrived") == 2
    assert _count(response, "to_come") == 2
    assert _count(response, "not_checked_in") == 1
    assert 'href="/schedule/"' in response.content.decode()
    assert 'id="today"' not in response.content.decode()


@pytest.mark.parametrize("role", ["acupuncturist", "no_role"])
def test_the_days_summary_is_not_shown_to_other_roles(client, users, role):
    client.force_login(users[role])
    response = client.get("/")
    assert 'id="day-summary"' not in response.content.decode()


def test_the_days_summary_runs_the_same_number_of_queries_for_2_or_12_visits(
    client, front_desk, acupuncturist, at_noon
):
    client.force_login(front_desk)
    for hour in (9, 15):
        _visit(acupuncturist, hour=hour)
    client.get("/")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/")
        assert response.status_code == 200
        return _count(response, "to_come") + _count(response, "not_checked_in"), len(captured)

    few_visits, few = queries()
    colleague = PractitionerProfileFactory().user
    for hour in range(8, 18, 2):
        _visit(acupuncturist, hour=hour, minute=30)
        _visit(colleague, hour=hour)
    many_visits, many = queries()
    assert (few_visits, many_visits) == (2, 12)
    assert many == few


# --- Every role's dashboard, however long the backlog -----------------------------------


def _to_book(response) -> int | None:
    found = re.search(r'data-count="to_book">(\d+)<', response.content.decode())
    return int(found.group(1)) if found else None


@pytest.mark.parametrize("role", ["front_desk", "acupuncturist", "clinic_admin"])
def test_every_roles_dashboard_runs_the_same_queries_for_a_short_or_a_long_backlog(
    client, users, role
):
    acupuncturist = users["acupuncturist"]
    today = timezone.localdate()

    def backlog(count, *, first_hour):
        """Plans overdue, a third of them booked; some of those have a visit today."""
        for n in range(count):
            patient = PatientFactory()
            plan = make_plan(patient, user=acupuncturist)
            Plan.objects.filter(pk=plan.pk).update(next_due=today - datetime.timedelta(days=n))
            if n % 3 == 0:
                _visit(acupuncturist, hour=9 + n % 8, days=1 + n % 5, patient=patient)
            if n % 6 == 0:
                _visit(
                    acupuncturist, hour=first_hour + n // 8, minute=15 * (n % 4), patient=patient
                )

    backlog(3, first_hour=8)
    client.force_login(users[role])
    client.get("/")  # session and permission caches warmed alike for both runs

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/")
        assert response.status_code == 200
        return _to_book(response), len(captured)

    short_list, few = queries()
    backlog(40, first_hour=12)
    long_list, many = queries()

    assert (short_list, long_list) == (2, 2 + 26)
    assert many == few
