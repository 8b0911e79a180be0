"""The visits-due worklist, booking the next visit, marking a visit attended,
cancelled or a no-show, and the calendar file of a visit.

The clock stands at 10:07 on a Wednesday (tests/scheduling/conftest.py): _day(2) is
a Friday, _day(3) a Saturday (the clinic is closed), _day(5) the next Monday."""

import datetime
import html
import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import dateformat, timezone
from icalendar import Calendar

from intake.services import patient_archive
from plans.models import Plan
from plans.services import plan_close, plan_decide
from scheduling.models import Appointment, Closure, PractitionerHours
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    PractitionerProfileFactory,
    make_plan,
    sign_history,
)
from tests.urls import chart_url

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
WORKLIST = "/plans/due/"
UNKNOWN_CODE = "00000000-0000-4000-8000-000000000000"
STAFF = ["front_desk", "acupuncturist", "clinic_admin"]


# --- helpers ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _stopped_clock(clock):
    return clock


def _today() -> datetime.date:
    return timezone.localdate()


def _day(offset: int) -> datetime.date:
    return _today() + datetime.timedelta(days=offset)


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """An aware datetime at that local wall-clock time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _book_url(patient) -> str:
    return f"/patients/{patient.code}/appointments/new/"


def _status_url(appointment) -> str:
    return f"/appointments/{appointment.code}/status/"


def _ics_url(appointment) -> str:
    return f"/appointments/{appointment.code}/ics/"


def _due_plan(patient, *, user, last_session_days_ago, rung=None, **details):
    """A plan with one signed session `last_session_days_ago` days ago, so the next
    visit is due that day plus the cadence's interval (7 days while weekly). `rung`
    sets the cadence by a practitioner's override."""
    plan = make_plan(patient, user=user, **details)
    sign_history(patient, user=user, scores=[6], start=_day(-last_session_days_ago))
    if rung is not None:
        plan_decide(plan=plan, kind="override", rung=rung, reason="Busy season", user=user)
    plan.refresh_from_db()
    return plan


def _quick_plans(count, *, practitioner, created_by, booked_every=2, first_due=-10):
    """`count` active plans written straight to the database, due one day apart from
    `first_due`; every `booked_every`-th patient has a visit booked ahead."""
    plans = []
    for number in range(count):
        patient = PatientFactory(created_by=created_by)
        plans.append(
            Plan.objects.create(
                patient=patient,
                practitioner=practitioner,
                baseline_pain=6,
                baseline_source=Plan.BaselineSource.FIRST_SESSION,
                session_count=1,
                next_due=_day(first_due + number % 15),
                created_by=practitioner,
            )
        )
        if booked_every and number % booked_every == 0:
            AppointmentFactory(
                patient=patient,
                practitioner=practitioner,
                starts_at=_at(_day(1 + number // 8), 8 + number % 8),
            )
    return plans


def _text(response) -> str:
    return response.content.decode()


def _rows(response) -> list[str]:
    """The plan codes listed on the worklist, top to bottom."""
    return re.findall(r'<tr data-plan="([^"]+)"', _text(response))


def _row(response, plan) -> str:
    match = re.search(rf'<tr data-plan="{plan.code}"(.*?)</tr>', _text(response), re.S)
    assert match, f"plan of {plan.patient} is listed"
    return html.unescape(" ".join(match.group(1).split()))


def _count(response, name) -> int:
    found = re.findall(rf'data-count="{name}">\s*(\d+)\s*<', _text(response))
    assert len(found) == 1, f"one {name} count on the page"
    return int(found[0])


def _errors(response) -> list[str]:
    return re.findall(r'class="[^"]*invalid-feedback[^"]*"[^>]*>(.*?)</', _text(response), re.S)


def _messages(response) -> str:
    return " ".join(
        re.findall(r'<div class="alert [^"]*" role="[^"]*">(.*?)</div>', _text(response))
    )


def _appointment_when(appointment) -> str:
    return dateformat.format(timezone.localtime(appointment.starts_at), "D j M, H:i")


def _booking(who, day=None, time="10:30", length="45", **overrides) -> dict:
    """The booking form as sent: `who` is the practitioner; overrides replace fields."""
    data = {
        "date": (day or _day(2)).isoformat(),
        "time": time,
        "practitioner": str(who.pk),
        "length_minutes": length,
    }
    data.update(overrides)
    return data


@pytest.fixture
def colleague(db):
    """A second licensed acupuncturist."""
    return PractitionerProfileFactory(user__first_name="Mei", user__last_name="Okafor").user


@pytest.fixture
def booked(patient, acupuncturist, front_desk):
    """Jane Doe's visit with the acupuncturist the day after tomorrow at 10:00."""
    return AppointmentFactory(
        patient=patient,
        practitioner=acupuncturist,
        starts_at=_at(_day(2), 10),
        created_by=front_desk,
    )


# --- who may open what ----------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login_from_every_page(client, booked):
    for url, method in [
        (WORKLIST, client.get),
        (_book_url(booked.patient), client.get),
        (_book_url(booked.patient), client.post),
        (_status_url(booked), client.post),
        (_ics_url(booked), client.get),
    ]:
        response = method(url, {"status": "cancelled"} if "status" in url else None)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{LOGIN_URL}?next="), url
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.BOOKED


def test_user_without_role_cannot_open_any_of_these_pages(client, no_role_user, booked):
    client.force_login(no_role_user)
    assert client.get(WORKLIST).status_code == 403
    assert client.get(_book_url(booked.patient)).status_code == 403
    assert client.post(_book_url(booked.patient), _booking(booked.practitioner)).status_code == 403
    assert client.post(_status_url(booked), {"status": "cancelled"}).status_code == 403
    assert client.get(_ics_url(booked)).status_code == 403
    assert Appointment.objects.count() == 1
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.BOOKED


@pytest.mark.parametrize(
    "role, expected", [("front_desk", 302), ("clinic_admin", 302), ("acupuncturist", 403)]
)
def test_only_front_desk_and_clinic_admin_can_book(
    client, users, patient, acupuncturist, role, expected
):
    client.force_login(users[role])
    response = client.post(_book_url(patient), _booking(acupuncturist))
    assert response.status_code == expected
    assert Appointment.objects.filter(patient=patient).count() == (1 if expected == 302 else 0)


@pytest.mark.parametrize(
    "role, allowed", [("front_desk", True), ("clinic_admin", True), ("acupuncturist", False)]
)
def test_only_front_desk_and_clinic_admin_can_change_a_visits_status(
    client, users, booked, role, allowed
):
    client.force_login(users[role])
    response = client.post(_status_url(booked), {"status": "cancelled"})
    booked.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert response["Location"] == chart_url(booked.patient)
        assert booked.status == Appointment.Status.CANCELLED
    else:
        assert response.status_code == 403
        assert booked.status == Appointment.Status.BOOKED


@pytest.mark.parametrize("role", STAFF)
def test_every_staff_role_downloads_the_calendar_file(client, users, booked, role):
    client.force_login(users[role])
    assert client.get(_ics_url(booked)).status_code == 200


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_unknown_appointment_or_patient_code_is_not_found(client, users, role):
    client.force_login(users[role])
    assert (
        client.post(f"/appointments/{UNKNOWN_CODE}/status/", {"status": "cancelled"}).status_code
        == 404
    )
    assert client.get(f"/appointments/{UNKNOWN_CODE}/ics/").status_code == 404
    assert client.get(f"/patients/{UNKNOWN_CODE}/appointments/new/").status_code == 404


def test_acupuncturist_gets_not_found_for_an_unknown_calendar_file(client, acupuncturist):
    client.force_login(acupuncturist)
    assert client.get(f"/appointments/{UNKNOWN_CODE}/ics/").status_code == 404


def test_status_change_only_answers_post(client, front_desk, booked):
    client.force_login(front_desk)
    assert client.get(_status_url(booked)).status_code == 405
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.BOOKED


# --- what the worklist lists ----------------------------------------------------


@pytest.fixture
def due(front_desk, acupuncturist):
    """Plans due at various distances from today, each for its own patient."""

    def patient_named(last):
        return PatientFactory(first_name="Pat", last_name=last, created_by=front_desk)

    overdue = _due_plan(patient_named("Overdue"), user=acupuncturist, last_session_days_ago=12)
    today = _due_plan(patient_named("Today"), user=acupuncturist, last_session_days_ago=7)
    soon = _due_plan(patient_named("Soon"), user=acupuncturist, last_session_days_ago=1)
    in_seven = _due_plan(
        patient_named("Seven"), user=acupuncturist, last_session_days_ago=7, rung="fortnightly"
    )
    in_eight = _due_plan(
        patient_named("Eight"), user=acupuncturist, last_session_days_ago=6, rung="fortnightly"
    )
    completed = _due_plan(patient_named("Completed"), user=acupuncturist, last_session_days_ago=12)
    plan_close(plan=completed, status="completed", reason="", user=acupuncturist)
    stopped = _due_plan(patient_named("Stopped"), user=acupuncturist, last_session_days_ago=12)
    plan_close(plan=stopped, status="discontinued", reason="Moved away", user=acupuncturist)
    return SimpleNamespace(
        overdue=overdue,
        today=today,
        soon=soon,
        in_seven=in_seven,
        in_eight=in_eight,
        completed=completed,
        stopped=stopped,
    )


def test_plans_are_due_as_their_sessions_say(due):
    # The worklist's premise: next due follows from the last signed session.
    assert due.overdue.next_due == _day(-5)
    assert due.today.next_due == _day(0)
    assert due.soon.next_due == _day(6)
    assert due.in_seven.next_due == _day(7)
    assert due.in_eight.next_due == _day(8)


def test_worklist_lists_active_plans_due_within_a_week_most_overdue_first(client, front_desk, due):
    client.force_login(front_desk)
    response = client.get(WORKLIST, {"show": "all"})
    assert response.status_code == 200
    assert _rows(response) == [
        str(due.overdue.code),
        str(due.today.code),
        str(due.soon.code),
        str(due.in_seven.code),
    ]


def test_worklist_leaves_out_plans_due_later_and_plans_that_ended(client, front_desk, due):
    client.force_login(front_desk)
    listed = _rows(client.get(WORKLIST, {"show": "all"}))
    assert str(due.in_eight.code) not in listed
    assert str(due.completed.code) not in listed
    assert str(due.stopped.code) not in listed


def test_worklist_row_shows_name_phone_cadence_and_overdue_badge(client, front_desk, acupuncturist):
    patient = PatientFactory(
        first_name="Robert",
        preferred_name="Bob",
        last_name="Marsh",
        phone="+14155550123",
        created_by=front_desk,
    )
    plan = _due_plan(patient, user=acupuncturist, last_session_days_ago=12)
    client.force_login(front_desk)
    row = _row(client.get(WORKLIST), plan)
    assert "Robert “Bob” Marsh" in row
    assert patient.phone_display in row
    assert patient.phone_display != patient.phone  # shown as people write it, not E.164
    assert "Every week" in row
    assert "Overdue 5 days ago" in row
    book = f"{_book_url(patient)}?from=worklist&due={plan.next_due}&practitioner="
    assert f'href="{book}{plan.practitioner_id}"' in row


def test_worklist_row_shows_the_cadence_in_words_after_a_change(client, front_desk, due):
    client.force_login(front_desk)
    row = _row(client.get(WORKLIST, {"show": "all"}), due.in_seven)
    assert "Every 2 weeks" in row


def test_worklist_row_shows_the_next_booked_visit(client, front_desk, colleague, due):
    appointment = AppointmentFactory(
        patient=due.overdue.patient, practitioner=colleague, starts_at=_at(_day(3), 14, 15)
    )
    later = AppointmentFactory(
        patient=due.overdue.patient, practitioner=colleague, starts_at=_at(_day(5), 9)
    )
    client.force_login(front_desk)
    row = _row(client.get(WORKLIST, {"show": "booked"}), due.overdue)
    assert _appointment_when(appointment) in row
    assert str(colleague) in row
    assert _appointment_when(later) not in row
    assert "/appointments/new/" not in row


# --- tabs and counts --------------------------------------------------------------


@pytest.fixture
def tabs(front_desk, acupuncturist):
    """Five overdue patients: one booked ahead, the others with a cancelled visit
    ahead, a booked visit that already passed, an attended visit, or nothing."""

    def plan_for(last):
        patient = PatientFactory(first_name="Pat", last_name=last, created_by=front_desk)
        return _due_plan(patient, user=acupuncturist, last_session_days_ago=10)

    world = SimpleNamespace(
        booked=plan_for("Booked"),
        cancelled=plan_for("Cancelled"),
        passed=plan_for("Passed"),
        attended=plan_for("Attended"),
        nothing=plan_for("Nothing"),
    )
    AppointmentFactory(patient=world.booked.patient, practitioner=acupuncturist)
    AppointmentFactory(
        patient=world.cancelled.patient,
        practitioner=acupuncturist,
        status=Appointment.Status.CANCELLED,
    )
    AppointmentFactory(
        patient=world.passed.patient,
        practitioner=acupuncturist,
        starts_at=timezone.now() - datetime.timedelta(hours=2),
    )
    AppointmentFactory(
        patient=world.attended.patient,
        practitioner=acupuncturist,
        starts_at=_at(_day(-2), 10),
        status=Appointment.Status.ATTENDED,
    )
    return world


def test_to_book_tab_is_the_default_and_leaves_out_patients_booked_ahead(client, front_desk, tabs):
    client.force_login(front_desk)
    listed = _rows(client.get(WORKLIST))
    assert set(listed) == {
        str(tabs.cancelled.code),
        str(tabs.passed.code),
        str(tabs.attended.code),
        str(tabs.nothing.code),
    }


def test_booked_tab_shows_only_patients_booked_ahead(client, front_desk, tabs):
    client.force_login(front_desk)
    assert _rows(client.get(WORKLIST, {"show": "booked"})) == [str(tabs.booked.code)]


def test_all_tab_shows_both(client, front_desk, tabs):
    client.force_login(front_desk)
    assert len(_rows(client.get(WORKLIST, {"show": "all"}))) == 5


@pytest.mark.parametrize("show", ["to_book", "booked", "all", "nonsense"])
def test_tab_counts_are_the_same_on_every_tab(client, front_desk, tabs, show):
    client.force_login(front_desk)
    response = client.get(WORKLIST, {"show": show})
    assert response.status_code == 200
    assert _count(response, "to_book") == 4
    assert _count(response, "booked") == 1


def test_booking_a_visit_moves_the_patient_from_to_book_to_booked(
    client, front_desk, acupuncturist, tabs
):
    client.force_login(front_desk)
    before = client.get(WORKLIST)
    assert str(tabs.nothing.code) in _rows(before)
    response = client.post(
        _book_url(tabs.nothing.patient) + "?from=worklist",
        _booking(acupuncturist, time="15:00"),
    )
    assert response.status_code == 302
    after = client.get(WORKLIST)
    assert str(tabs.nothing.code) not in _rows(after)
    assert (_count(after, "to_book"), _count(after, "booked")) == (3, 2)
    assert str(tabs.nothing.code) in _rows(client.get(WORKLIST, {"show": "booked"}))


def test_cancelling_the_visit_puts_the_patient_back_to_book(client, front_desk, tabs):
    appointment = Appointment.objects.get(
        patient=tabs.booked.patient, status=Appointment.Status.BOOKED
    )
    client.force_login(front_desk)
    client.post(_status_url(appointment), {"status": "cancelled"})
    response = client.get(WORKLIST)
    assert str(tabs.booked.code) in _rows(response)
    assert (_count(response, "to_book"), _count(response, "booked")) == (5, 0)


def test_front_desk_dashboard_counts_the_visits_to_book(client, front_desk, tabs, due):
    client.force_login(front_desk)
    response = client.get("/")
    assert response.status_code == 200
    # tabs: 4 to book; due: overdue, today, soon and in seven days.
    assert _count(response, "to_book") == 8


# --- practitioner filter ----------------------------------------------------------


def test_practitioner_filter_keeps_only_that_practitioners_plans(
    client, front_desk, acupuncturist, colleague
):
    mine = _due_plan(
        PatientFactory(created_by=front_desk), user=acupuncturist, last_session_days_ago=9
    )
    theirs = _due_plan(
        PatientFactory(created_by=front_desk),
        user=acupuncturist,
        last_session_days_ago=9,
        practitioner=colleague,
    )
    client.force_login(front_desk)
    assert _rows(client.get(WORKLIST, {"practitioner": colleague.pk})) == [str(theirs.code)]
    response = client.get(WORKLIST, {"practitioner": acupuncturist.pk})
    assert _rows(response) == [str(mine.code)]
    assert (_count(response, "to_book"), _count(response, "booked")) == (1, 0)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        "-1",
        "1.5",
        "99999999",
        "99999999999999999999999999",
        "1; DROP TABLE plans_plan",
        "²",
    ],
)
def test_unknown_or_non_numeric_practitioner_filter_is_ignored(
    client, front_desk, acupuncturist, value
):
    plan = _due_plan(
        PatientFactory(created_by=front_desk), user=acupuncturist, last_session_days_ago=9
    )
    client.force_login(front_desk)
    response = client.get(WORKLIST, {"practitioner": value})
    assert response.status_code == 200
    assert _rows(response) == [str(plan.code)]


def test_filtering_by_a_user_who_is_not_a_practitioner_shows_everyone(
    client, front_desk, acupuncturist
):
    plan = _due_plan(
        PatientFactory(created_by=front_desk), user=acupuncturist, last_session_days_ago=9
    )
    client.force_login(front_desk)
    assert _rows(client.get(WORKLIST, {"practitioner": front_desk.pk})) == [str(plan.code)]


# --- queries and pages ------------------------------------------------------------


@pytest.mark.parametrize("show", ["to_book", "booked", "all"])
def test_worklist_runs_the_same_number_of_queries_for_3_or_60_plans(
    client, front_desk, acupuncturist, colleague, show
):
    _quick_plans(2, practitioner=acupuncturist, created_by=front_desk)
    _quick_plans(1, practitioner=colleague, created_by=front_desk, booked_every=0)
    client.force_login(front_desk)
    client.get(WORKLIST)  # session and permission caches warmed alike for both runs

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(WORKLIST, {"show": show})
        assert response.status_code == 200
        return response, len(captured)

    small, few = queries()
    assert (_count(small, "to_book"), _count(small, "booked")) == (2, 1)
    assert len(_rows(small)) >= 1
    _quick_plans(28, practitioner=acupuncturist, created_by=front_desk)
    _quick_plans(29, practitioner=colleague, created_by=front_desk)
    large, many = queries()
    assert (_count(large, "to_book"), _count(large, "booked")) == (30, 30)
    assert len(_rows(large)) == 25
    assert many == few


def test_more_than_25_rows_spill_onto_page_2_keeping_tab_and_filter(
    client, front_desk, acupuncturist, colleague
):
    _quick_plans(30, practitioner=acupuncturist, created_by=front_desk)
    _quick_plans(3, practitioner=colleague, created_by=front_desk)
    client.force_login(front_desk)
    first = client.get(WORKLIST, {"show": "all", "practitioner": acupuncturist.pk})
    assert len(_rows(first)) == 25
    links = [
        html.unescape(href)
        for href, label in re.findall(
            r'<a class="page-link" href="([^"]*)">(\w+)</a>', _text(first)
        )
        if label == "Next"
    ]
    assert len(links) == 1
    params = dict(part.split("=", 1) for part in links[0].lstrip("?").split("&"))
    assert params == {"show": "all", "practitioner": str(acupuncturist.pk), "page": "2"}
    second = client.get(WORKLIST + links[0])
    assert len(_rows(second)) == 5
    assert not set(_rows(first)) & set(_rows(second))
    assert set(_rows(first)) | set(_rows(second)) == {
        str(code)
        for code in Plan.objects.filter(practitioner=acupuncturist).values_list("code", flat=True)
    }


def test_a_page_number_out_of_range_or_not_a_number_still_answers(
    client, front_desk, acupuncturist
):
    _quick_plans(3, practitioner=acupuncturist, created_by=front_desk, booked_every=0)
    client.force_login(front_desk)
    for page in ["99", "abc", "-1"]:
        response = client.get(WORKLIST, {"page": page})
        assert response.status_code == 200
        assert len(_rows(response)) == 3


# --- booking -----------------------------------------------------------------------


def _field_value(response, name) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', _text(response))
    assert match, f"a {name} field"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def _selected(response, name) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', _text(response), re.S)
    assert select, f"a {name} list"
    return re.findall(r'<option value="([^"]*)"[^>]*selected', select.group(0))


def _book_link_on_the_chart(client, patient) -> str:
    """Where the chart's "Book next visit" leads: the booking form, with the plan's due
    date and practitioner."""
    page = client.get(chart_url(patient)).content.decode()
    href = re.search(r'href="([^"]*/appointments/new/[^"]*)"[^>]*>Book next visit', page)[1]
    return html.unescape(href)


def test_booking_form_starts_on_the_plans_next_due_with_its_practitioner(
    client, front_desk, patient, acupuncturist, colleague
):
    plan = _due_plan(patient, user=acupuncturist, last_session_days_ago=5, practitioner=colleague)
    assert plan.next_due == _day(2)
    client.force_login(front_desk)
    response = client.get(_book_link_on_the_chart(client, patient))
    assert response.status_code == 200
    assert _field_value(response, "date") == _day(2).isoformat()
    assert _field_value(response, "time") == "09:00"
    assert _selected(response, "practitioner") == [str(colleague.pk)]


def test_booking_form_due_on_a_closed_day_starts_on_the_next_open_day(
    client, front_desk, patient, acupuncturist
):
    plan = _due_plan(patient, user=acupuncturist, last_session_days_ago=4)
    assert plan.next_due == _day(3)  # a Saturday
    client.force_login(front_desk)
    response = client.get(_book_link_on_the_chart(client, patient))
    assert _field_value(response, "date") == _day(5).isoformat()
    assert _field_value(response, "time") == "09:00"


def test_booking_form_starts_at_the_next_free_time_today_when_the_due_date_has_passed(
    client, front_desk, patient, acupuncturist
):
    _due_plan(patient, user=acupuncturist, last_session_days_ago=12)
    AppointmentFactory(practitioner=acupuncturist, starts_at=_at(_today(), 10, 15))
    client.force_login(front_desk)
    response = client.get(_book_link_on_the_chart(client, patient))
    assert _field_value(response, "date") == _today().isoformat()
    assert _field_value(response, "time") == "11:00"
    assert _selected(response, "practitioner") == [str(acupuncturist.pk)]


def test_booking_form_without_a_plan_starts_at_the_first_time_anyone_is_free(
    client, front_desk, patient, acupuncturist, colleague
):
    AppointmentFactory(practitioner=acupuncturist, starts_at=_at(_today(), 10, 15))
    client.force_login(front_desk)
    response = client.get(_book_url(patient))
    assert response.status_code == 200
    assert _field_value(response, "date") == _today().isoformat()
    assert _field_value(response, "time") == "10:15"
    assert _selected(response, "practitioner") == [""]  # the desk chooses


def test_booking_form_from_a_free_time_on_the_schedule_is_filled_in_with_it(
    client, front_desk, patient, acupuncturist
):
    client.force_login(front_desk)
    query = {"practitioner": acupuncturist.pk, "date": _day(2), "time": "14:30"}
    response = client.get(_book_url(patient), {**query, "from": "schedule"})
    assert _field_value(response, "date") == _day(2).isoformat()
    assert _field_value(response, "time") == "14:30"
    assert _selected(response, "practitioner") == [str(acupuncturist.pk)]
    assert "is not free" not in _text(response)
    assert f'href="/schedule/?date={_day(2)}"' in _text(response)


def test_booking_form_from_a_time_taken_meanwhile_offers_the_next_free_one_and_says_so(
    client, front_desk, patient, acupuncturist
):
    AppointmentFactory(practitioner=acupuncturist, starts_at=_at(_day(2), 14, 30))
    client.force_login(front_desk)
    query = {"practitioner": acupuncturist.pk, "date": _day(2), "time": "14:30"}
    response = client.get(_book_url(patient), query)
    assert _field_value(response, "time") == "15:15"
    note = html.unescape(_text(response))
    assert f"14:30 on {_day(2):%a %-d %b} is not free for a 45-minute visit with" in note


def test_booking_form_never_starts_on_a_time_it_would_refuse(
    client, front_desk, patient, acupuncturist
):
    """Whatever the link asks for (a closed day, a time gone, after closing, junk),
    the time filled in is booked as it stands."""
    client.force_login(front_desk)
    asked = [
        {"due": _day(3)},
        {"due": _day(-4)},
        {"date": _today(), "time": "08:00"},
        {"date": _day(2), "time": "16:45"},
        {"date": "2026-02-30", "time": "25:00"},
        {"date": _day(365).isoformat(), "time": "16:45"},
        {"date": "2199-12-31"},
        {"due": "soon", "practitioner": "abc"},
    ]
    for query in asked:
        page = client.get(_book_url(patient), {"practitioner": acupuncturist.pk, **query})
        sent = {
            "date": _field_value(page, "date"),
            "time": _field_value(page, "time"),
            "practitioner": str(acupuncturist.pk),
            "length_minutes": "45",
        }
        response = client.post(_book_url(patient), sent)
        assert response.status_code == 302, (query, _errors(response))
        Appointment.objects.filter(patient=patient).delete()


def test_booking_creates_one_visit_and_returns_to_the_chart(client, front_desk, patient, colleague):
    client.force_login(front_desk)
    response = client.post(_book_url(patient), _booking(colleague, day=_day(6), length="60"))
    assert response.status_code == 302
    assert response["Location"] == chart_url(patient)
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.practitioner == colleague
    assert appointment.starts_at == _at(_day(6), 10, 30)
    assert appointment.length_minutes == 60
    assert appointment.created_by == front_desk

    chart = client.get(chart_url(patient))
    shown = re.findall(r'data-next-appointment="([^"]*)"', _text(chart))
    assert shown == [timezone.localtime(appointment.starts_at).isoformat()]


def test_booking_from_the_worklist_returns_to_the_worklist(
    client, front_desk, patient, acupuncturist
):
    _due_plan(patient, user=acupuncturist, last_session_days_ago=12)
    client.force_login(front_desk)
    page = client.get(_book_url(patient), {"from": "worklist"})
    assert f'href="{WORKLIST}"' in _text(page)
    response = client.post(_book_url(patient) + "?from=worklist", _booking(acupuncturist))
    assert response.status_code == 302
    assert response["Location"] == WORKLIST
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_clinic_admin_can_book_too(client, clinic_admin, patient, acupuncturist):
    client.force_login(clinic_admin)
    response = client.post(_book_url(patient), _booking(acupuncturist))
    assert response.status_code == 302
    assert Appointment.objects.get(patient=patient).created_by == clinic_admin


@pytest.mark.parametrize(
    "case, data",
    [
        ("a time that passed", lambda p: _booking(p, day=_day(-1))),
        ("more than a year ahead", lambda p: _booking(p, day=_day(400))),
        ("no date", lambda p: _booking(p, date="")),
        ("no time", lambda p: _booking(p, time="")),
        ("no practitioner", lambda p: _booking(p, practitioner="")),
        ("no length", lambda p: _booking(p, length="")),
        ("unknown practitioner", lambda p: _booking(p, practitioner="987654")),
        ("practitioner id not a number", lambda p: _booking(p, practitioner="abc")),
        ("a length not offered", lambda p: _booking(p, length="50")),
        ("a date that is not a date", lambda p: _booking(p, date="2025-02-30")),
        ("a time that is not a time", lambda p: _booking(p, time="25:00")),
    ],
)
def test_booking_form_errors_show_and_nothing_is_booked(
    client, front_desk, patient, acupuncturist, case, data
):
    client.force_login(front_desk)
    response = client.post(_book_url(patient), data(acupuncturist))
    assert response.status_code == 200, case
    assert _errors(response), case
    assert not Appointment.objects.exists(), case


def _field_errors(response, name) -> list[str]:
    """The messages shown under one field (crispy's error_<n>_id_<name>)."""
    found = re.findall(rf'id="error_\d+_id_{name}"><strong>(.*?)</strong>', _text(response), re.S)
    return [html.unescape(message) for message in found]


# What each refusal needs besides the clinic's usual hours.
SETUPS = {
    "a closure tomorrow": lambda p: Closure.objects.create(
        first_day=_day(1), reason="Public holiday"
    ),
    "working Monday mornings": lambda p: PractitionerHours.objects.create(
        practitioner=p, weekday=0, starts=datetime.time(9), ends=datetime.time(12)
    ),
    "a visit on Friday at 10": lambda p: AppointmentFactory(
        practitioner=p, starts_at=_at(_day(2), 10)
    ),
}


@pytest.mark.parametrize(
    "setup, day, time, field, message",
    [
        (None, 0, "09:00", "time", "That time has already passed."),
        (None, -1, "14:00", "date", "That time has already passed."),
        (None, 3, "10:00", "date", "The clinic is closed on Saturdays."),
        ("a closure tomorrow", 1, "10:00", "date", "The clinic is closed on {d:%A %-d %B}: "),
        (None, 1, "08:30", "time", "The clinic is open 09:00–17:00 on Thursdays"),
        (None, 1, "16:30", "time", "The clinic is open 09:00–17:00 on Thursdays"),
        ("working Monday mornings", 1, "10:00", "date", "{p} does not work on Thursdays."),
        ("working Monday mornings", 5, "12:00", "time", "{p} works 09:00–12:00 on Mondays"),
        ("a visit on Friday at 10", 2, "10:30", "time", "{p} already has a visit from 10:00"),
    ],
    ids=[
        "earlier today",
        "a day gone",
        "a weekday closed",
        "a closure",
        "before opening",
        "past closing",
        "a day off",
        "outside their hours",
        "taken",
    ],
)
def test_a_refused_booking_says_why_next_to_the_date_or_the_time(
    client, front_desk, patient, acupuncturist, setup, day, time, field, message
):
    if setup is not None:
        SETUPS[setup](acupuncturist)
    client.force_login(front_desk)
    response = client.post(_book_url(patient), _booking(acupuncturist, day=_day(day), time=time))
    assert response.status_code == 200
    shown = _field_errors(response, field)
    assert len(shown) == 1
    assert shown[0].startswith(message.format(p=acupuncturist, d=_day(day))), shown
    other = "time" if field == "date" else "date"
    assert _field_errors(response, other) == []
    assert not Appointment.objects.filter(patient=patient).exists()


def test_booking_a_receptionist_as_practitioner_is_refused(client, front_desk, patient):
    client.force_login(front_desk)
    response = client.post(_book_url(patient), _booking(front_desk))
    assert response.status_code == 200
    assert _errors(response)
    assert not Appointment.objects.exists()


def test_booking_all_fields_missing_marks_each_one(client, front_desk, patient):
    client.force_login(front_desk)
    response = client.post(_book_url(patient), {})
    assert response.status_code == 200
    assert len(_errors(response)) >= 4
    assert not Appointment.objects.exists()


def test_practitioner_already_booked_at_an_overlapping_time_is_refused(
    client, front_desk, patient, acupuncturist
):
    other = PatientFactory(created_by=front_desk)
    AppointmentFactory(patient=other, practitioner=acupuncturist, starts_at=_at(_day(2), 10))
    client.force_login(front_desk)
    response = client.post(_book_url(patient), _booking(acupuncturist, time="10:30"))
    assert response.status_code == 200
    errors = " ".join(_errors(response))
    assert "10:00 to 10:45" in errors
    assert not Appointment.objects.filter(patient=patient).exists()


def test_a_visit_starting_before_and_running_into_another_is_refused(
    client, front_desk, patient, acupuncturist
):
    other = PatientFactory(created_by=front_desk)
    AppointmentFactory(patient=other, practitioner=acupuncturist, starts_at=_at(_day(2), 10))
    client.force_login(front_desk)
    response = client.post(_book_url(patient), _booking(acupuncturist, time="09:30", length="60"))
    assert response.status_code == 200
    assert _errors(response)
    assert not Appointment.objects.filter(patient=patient).exists()


def test_back_to_back_visits_and_a_cancelled_slot_can_be_booked(
    client, front_desk, patient, acupuncturist
):
    other = PatientFactory(created_by=front_desk)
    AppointmentFactory(patient=other, practitioner=acupuncturist, starts_at=_at(_day(2), 10))
    AppointmentFactory(
        patient=other,
        practitioner=acupuncturist,
        starts_at=_at(_day(6), 10),
        status=Appointment.Status.CANCELLED,
    )
    client.force_login(front_desk)
    assert client.post(_book_url(patient), _booking(acupuncturist, time="10:45")).status_code == 302
    response = client.post(_book_url(patient), _booking(acupuncturist, day=_day(6), time="10:00"))
    assert response.status_code == 302
    assert Appointment.objects.filter(patient=patient).count() == 2


def test_patient_already_booked_with_another_practitioner_at_that_time_is_refused(
    client, front_desk, patient, acupuncturist, colleague
):
    AppointmentFactory(patient=patient, practitioner=colleague, starts_at=_at(_day(2), 10))
    client.force_login(front_desk)
    response = client.post(_book_url(patient), _booking(acupuncturist, time="10:30"))
    assert response.status_code == 200
    assert "already has a visit" in " ".join(_errors(response))
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_the_same_booking_sent_twice_makes_one_visit(client, front_desk, patient, acupuncturist):
    client.force_login(front_desk)
    first = client.post(_book_url(patient), _booking(acupuncturist))
    second = client.post(_book_url(patient), _booking(acupuncturist), follow=True)
    assert first.status_code == 302
    assert second.redirect_chain[0][1] == 302
    assert Appointment.objects.filter(patient=patient).count() == 1
    assert "Already booked" in _messages(second)


def test_booking_for_an_archived_chart_is_refused(client, front_desk, patient, acupuncturist):
    patient_archive(patient=patient, reason="Moved abroad", archived_by=front_desk)
    client.force_login(front_desk)
    for response in (
        client.get(_book_url(patient), follow=True),
        client.post(_book_url(patient), _booking(acupuncturist), follow=True),
    ):
        assert response.redirect_chain[-1][0] == f"/patients/{patient.code}/"
        assert "archived" in response.content.decode()
    assert not Appointment.objects.exists()


# --- visit status -------------------------------------------------------------------


@pytest.fixture
def started(patient, acupuncturist, front_desk):
    """A visit that began an hour ago and is still marked booked."""
    return AppointmentFactory(
        patient=patient,
        practitioner=acupuncturist,
        starts_at=timezone.now() - datetime.timedelta(hours=1),
        created_by=front_desk,
    )


@pytest.mark.parametrize("status", ["attended", "no_show"])
def test_a_visit_that_has_started_can_be_marked_attended_or_no_show(
    client, clinic_admin, started, status
):
    client.force_login(clinic_admin)
    before = timezone.now()
    response = client.post(_status_url(started), {"status": status}, follow=True)
    started.refresh_from_db()
    assert started.status == status
    assert started.status_changed_by == clinic_admin
    assert before <= started.status_changed_at <= timezone.now()
    assert "marked" in _messages(response)


@pytest.mark.parametrize("status", ["attended", "no_show"])
def test_a_future_visit_cannot_be_marked_attended_or_no_show(client, front_desk, booked, status):
    client.force_login(front_desk)
    response = client.post(_status_url(booked), {"status": status}, follow=True)
    assert response.redirect_chain[0][0] == chart_url(booked.patient)
    assert "has not started yet" in _messages(response)
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.BOOKED
    assert booked.status_changed_by is None
    assert booked.status_changed_at is None


@pytest.mark.parametrize("fixture", ["booked", "started"])
def test_a_booked_visit_can_be_cancelled_any_time(client, front_desk, request, fixture):
    appointment = request.getfixturevalue(fixture)
    client.force_login(front_desk)
    client.post(_status_url(appointment), {"status": "cancelled", "reason": "Patient has flu"})
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.status_reason == "Patient has flu"
    assert appointment.status_changed_by == front_desk
    assert appointment.status_changed_at is not None


def test_a_second_different_status_is_refused(client, front_desk, clinic_admin, started):
    client.force_login(front_desk)
    client.post(_status_url(started), {"status": "attended"})
    started.refresh_from_db()
    first_change = started.status_changed_at
    client.force_login(clinic_admin)
    for status in ["cancelled", "no_show"]:
        response = client.post(_status_url(started), {"status": status}, follow=True)
        assert "already marked attended" in _messages(response)
    started.refresh_from_db()
    assert started.status == Appointment.Status.ATTENDED
    assert started.status_changed_by == front_desk
    assert started.status_changed_at == first_change


def test_the_same_status_sent_twice_is_harmless(client, front_desk, clinic_admin, booked):
    client.force_login(front_desk)
    client.post(_status_url(booked), {"status": "cancelled"})
    booked.refresh_from_db()
    first_change = booked.status_changed_at
    client.force_login(clinic_admin)
    response = client.post(_status_url(booked), {"status": "cancelled"}, follow=True)
    assert response.status_code == 200
    assert "already marked" not in _messages(response)
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CANCELLED
    assert booked.status_changed_by == front_desk
    assert booked.status_changed_at == first_change


@pytest.mark.parametrize("status", ["booked", "", "deleted"])
def test_a_status_that_is_not_offered_changes_nothing(client, front_desk, started, status):
    client.force_login(front_desk)
    response = client.post(_status_url(started), {"status": status}, follow=True)
    assert "Choose attended, cancelled or no-show" in _messages(response)
    started.refresh_from_db()
    assert started.status == Appointment.Status.BOOKED
    assert started.status_changed_at is None


def test_chart_offers_attended_only_once_the_visit_has_started_and_cancel_with_a_reason(
    client, front_desk, booked, started
):
    client.force_login(front_desk)
    page = _text(client.get(chart_url(booked.patient)))
    future = re.search(rf'data-appointment="{booked.code}".*?</li>', page, re.S).group(0)
    begun = re.search(rf'data-appointment="{started.code}".*?</li>', page, re.S).group(0)
    assert 'value="attended"' not in future
    assert 'value="attended"' in begun and 'value="no_show"' in begun
    for visit, item in ((booked, future), (started, begun)):
        assert f'href="/appointments/{visit.code}/cancel/?from=chart">Cancel…</a>' in item
        assert 'value="cancelled"' not in item


@pytest.mark.parametrize("status, word", [("cancelled", "cancelled"), ("no_show", "no-show")])
def test_the_message_after_a_status_change_says_the_new_status(
    client, front_desk, started, status, word
):
    client.force_login(front_desk)
    response = client.post(_status_url(started), {"status": status}, follow=True)
    when = timezone.localtime(started.starts_at)
    assert _messages(response) == f"Visit of {when:%-d %B, %H:%M} marked {word}."


# --- the calendar file --------------------------------------------------------------


@pytest.fixture
def practitioner_wei(db):
    # A fixed name, so the practitioner's name cannot happen to contain the patient's.
    return PractitionerProfileFactory(user__first_name="Wei", user__last_name="Lindqvist").user


def _event(response):
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def test_calendar_file_holds_the_visit(client, front_desk, patient, practitioner_wei):
    appointment = AppointmentFactory(
        patient=patient,
        practitioner=practitioner_wei,
        starts_at=_at(_day(3), 16, 15),
        length_minutes=60,
    )
    client.force_login(front_desk)
    response = client.get(_ics_url(appointment))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert re.fullmatch(r'attachment; filename="[^"/]+\.ics"', response["Content-Disposition"])
    event = _event(response)
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start.tzinfo is not None and end.tzinfo is not None
    assert start == appointment.starts_at
    assert end == appointment.starts_at + datetime.timedelta(minutes=60)
    assert str(appointment.code) in str(event["uid"])
    assert "acupuncture" in str(event["summary"]).lower()
    assert str(event["status"]) == "CONFIRMED"


def test_calendar_file_of_a_cancelled_visit_says_cancelled(
    client, clinic_admin, patient, practitioner_wei
):
    appointment = AppointmentFactory(
        patient=patient, practitioner=practitioner_wei, status=Appointment.Status.CANCELLED
    )
    client.force_login(clinic_admin)
    event = _event(client.get(_ics_url(appointment)))
    assert str(event["status"]) == "CANCELLED"
    assert str(appointment.code) in str(event["uid"])


def test_calendar_file_never_names_the_patient(client, acupuncturist, patient, practitioner_wei):
    appointment = AppointmentFactory(patient=patient, practitioner=practitioner_wei)
    client.force_login(acupuncturist)
    response = client.get(_ics_url(appointment))
    # Long lines are folded in iCalendar; unfold before searching.
    text = response.content.decode().replace("\r\n ", "").replace("\r\n\t", "").lower()
    text += response["Content-Disposition"].lower()
    assert "wei lindqvist" in text  # the file does say who the visit is with
    for private in [
        patient.first_name,
        patient.last_name,
        patient.preferred_name,
        patient.email,
        patient.phone,
        patient.phone.lstrip("+"),
        patient.phone_display,
        patient.phone[-7:],
    ]:
        assert private.lower() not in text, private
