"""The schedule (/schedule/): the clinic's day with a column per practitioner, and
one practitioner's week.

The clock stands at 10:07 on a Wednesday (tests/scheduling/conftest.py); the
clinic opens Monday to Friday, 09:00-17:00.
"""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from scheduling.models import Closure, PractitionerHours
from tests.factories import (
    AppointmentFactory,
    IntakeFactory,
    PatientFactory,
    PractitionerProfileFactory,
    TreatmentSessionFactory,
)
from tests.scheduling.pages import parse, table, visits

pytestmark = pytest.mark.django_db

SCHEDULE = "/schedule/"
THURSDAY, FRIDAY, SATURDAY, MONDAY = 1, 2, 3, 5


@pytest.fixture
def mei(db):
    return PractitionerProfileFactory(
        user__username="mei", user__first_name="Mei", user__last_name="Okafor"
    ).user


@pytest.fixture
def wei(db):
    return PractitionerProfileFactory(
        user__username="wei", user__first_name="Wei", user__last_name="Lindqvist"
    ).user


@pytest.fixture
def desk(client, front_desk, clock):
    # Logged in once the clock is stopped, so the session's age is the stopped clock's.
    client.force_login(front_desk)
    return client


def _get(client, **query):
    response = client.get(SCHEDULE, query)
    assert response.status_code == 200
    return response


def _book_link(practitioner, day: datetime.date, time: str) -> str:
    return f"/schedule/book/?practitioner={practitioner.pk}&date={day}&time={time}"


def _hrefs(node) -> list[str]:
    return [html.unescape(a.attrs["href"]) for a in node.find_all("a")]


# --- who sees it ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["front_desk", "acupuncturist", "clinic_admin"])
def test_every_staff_role_finds_the_schedule_in_the_navigation(client, users, clock, role):
    client.force_login(users[role])
    page = parse(client.get("/"))
    nav = page.find("nav", cls="navbar")
    assert "/schedule/" in _hrefs(nav)
    response = client.get(SCHEDULE)
    assert response.status_code == 200
    current = parse(response).find("a", attr="aria-current")
    assert (current.attrs["href"], current.text) == ("/schedule/", "Schedule")


def test_a_user_without_a_role_is_refused_and_an_anonymous_one_sent_to_log_in(
    client, no_role_user, clock
):
    anonymous = client.get(SCHEDULE)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/?next=")
    client.force_login(no_role_user)
    assert client.get(SCHEDULE).status_code == 403
    assert "/schedule/" not in client.get("/").content.decode()


# --- the day -------------------------------------------------------------------------


def test_the_day_has_a_column_per_practitioner_and_a_row_per_quarter_hour(
    desk, clock, mei, wei, acupuncturist
):
    shown = table(parse(_get(desk)))

    everyone = sorted([mei, wei, acupuncturist], key=lambda u: (u.first_name, u.last_name))
    assert shown.headings == [str(user) for user in everyone]
    times = [label for label, _cells in shown.rows]
    assert times[0] == "09:00" and times[-1] == "16:45" and len(times) == 32
    assert times[:3] == ["09:00", "09:15", "09:30"]


def test_the_day_shown_is_today_unless_a_date_is_asked_for(desk, clock, mei):
    today = parse(_get(desk))
    assert f"{clock.today:%A %-d %B %Y}" in today.find("p", cls="lead").text
    assert "Today" in today.find("p", cls="lead").text
    friday = parse(_get(desk, date=clock.day(FRIDAY).isoformat()))
    assert f"{clock.day(FRIDAY):%A %-d %B %Y}" in friday.find("p", cls="lead").text
    assert "Today" not in friday.find("p", cls="lead").text


def test_previous_next_and_today_link_to_those_days(desk, clock, mei):
    page = parse(_get(desk, date=clock.day(FRIDAY).isoformat()))
    links = {
        a.text: html.unescape(a.attrs["href"]) for a in page.find("nav", cls="mb-3").find_all("a")
    }
    assert links["← Previous day"] == f"/schedule/?date={clock.day(THURSDAY)}"
    assert links["Next day →"] == f"/schedule/?date={clock.day(SATURDAY)}"
    assert links["Today"] == f"/schedule/?date={clock.today}"


def test_a_visit_shows_when_how_long_who_its_status_and_the_intake(desk, clock, mei, front_desk):
    patient = PatientFactory(
        first_name="Robert", preferred_name="Bob", last_name="Marsh", created_by=front_desk
    )
    IntakeFactory(patient=patient, submitted=True)
    visit = AppointmentFactory(patient=patient, practitioner=mei, starts_at=clock.at(0, 11))
    no_intake = AppointmentFactory(practitioner=mei, starts_at=clock.at(0, 14), length_minutes=30)

    page = parse(_get(desk))

    shown = visits(page)
    assert set(shown) == {str(visit.code), str(no_intake.code)}
    element = shown[str(visit.code)]
    assert element.attrs["data-status"] == "booked"
    assert "data-not-checked-in" not in element.attrs
    assert element.text.startswith("11:00–11:45 (45 min) Robert “Bob” Marsh Booked Intake done")
    assert f"/patients/{patient.code}/" in _hrefs(element)
    assert "No intake yet" in shown[str(no_intake.code)].text
    assert table(page).cell("11:00", 0).attrs["rowspan"] == "3"
    assert table(page).cell("14:00", 0).attrs["rowspan"] == "2"


def test_every_status_is_marked_and_cancelled_visits_leave_their_time_free(desk, clock, mei, wei):
    made = {
        status: AppointmentFactory(
            practitioner=mei, starts_at=clock.at(0, hour), status=status, length_minutes=30
        )
        for hour, status in [(9, "attended"), (10, "arrived"), (11, "no_show"), (12, "booked")]
    }
    cancelled = AppointmentFactory(practitioner=wei, starts_at=clock.at(0, 12), status="cancelled")

    page = parse(_get(desk))

    on_the_grid = visits(page)
    assert {code: node.attrs["data-status"] for code, node in on_the_grid.items()} == {
        str(visit.code): status for status, visit in made.items()
    }
    listed = visits(page, "cancelled")
    assert list(listed) == [str(cancelled.code)]
    assert listed[str(cancelled.code)].attrs["data-status"] == "cancelled"
    wei_at_noon = table(page).cell("12:00", 1)
    assert _book_link(wei, clock.today, "12:00") in _hrefs(wei_at_noon)


def test_a_visit_still_booked_an_hour_after_its_end_is_not_checked_in(desk, clock, mei, wei):
    clock.set(clock.at(0, 11, 30))
    late = AppointmentFactory(practitioner=mei, starts_at=clock.at(0, 9, 15))  # ended 10:00
    just_ended = AppointmentFactory(practitioner=wei, starts_at=clock.at(0, 10))  # 10:45
    arrived = AppointmentFactory(practitioner=wei, starts_at=clock.at(0, 9), status="arrived")

    shown = visits(parse(_get(desk)))

    assert "data-not-checked-in" in shown[str(late.code)].attrs
    assert "not checked in" in shown[str(late.code)].text
    for other in (just_ended, arrived):
        assert "data-not-checked-in" not in shown[str(other.code)].attrs
        assert "not checked in" not in shown[str(other.code)].text


def test_the_schedule_shows_no_clinical_content(desk, clock, mei, front_desk):
    patient = PatientFactory(first_name="Ada", last_name="Quill", created_by=front_desk)
    IntakeFactory(patient=patient, submitted=True, pregnant="yes", anticoagulants="yes")
    TreatmentSessionFactory(patient=patient, created_by=mei, subjective="Sharp stabbing ache")
    visit = AppointmentFactory(patient=patient, practitioner=mei, starts_at=clock.at(0, 11))

    response = _get(desk)

    text = response.content.decode()
    for clinical in ["Sharp stabbing ache", "Pregnan", "anticoagul", "Bleeding", "Pain", "pain"]:
        assert clinical not in text, clinical
    assert "Ada Quill Booked Intake done" in visits(parse(response))[str(visit.code)].text


def test_free_times_link_to_booking_them_but_not_times_gone_or_taken(desk, clock, mei):
    AppointmentFactory(practitioner=mei, starts_at=clock.at(0, 11))

    shown = table(parse(_get(desk)))

    assert _hrefs(shown.cell("10:15", 0)) == [_book_link(mei, clock.today, "10:15")]
    assert _hrefs(shown.cell("16:45", 0)) == [_book_link(mei, clock.today, "16:45")]
    assert "schedule-past" in shown.cell("10:00", 0).classes()
    assert _hrefs(shown.cell("10:00", 0)) == []
    assert not any(h.startswith("/schedule/book/") for h in _hrefs(shown.cell("11:15", 0)))
    assert _hrefs(shown.cell("11:45", 0)) == [_book_link(mei, clock.today, "11:45")]


def test_an_acupuncturist_sees_free_times_without_booking_links_or_buttons(
    client, clock, acupuncturist, mei
):
    AppointmentFactory(practitioner=mei, starts_at=clock.at(0, 11))
    client.force_login(acupuncturist)

    text = _get(client).content.decode()

    assert "/schedule/book/" not in text
    assert "/arrived/" not in text and "/cancel/" not in text


def test_times_a_practitioner_does_not_work_offer_no_booking(desk, clock, mei, wei):
    PractitionerHours.objects.create(
        practitioner=wei, weekday=2, starts=datetime.time(13), ends=datetime.time(17)
    )

    shown = table(parse(_get(desk)))

    wei_morning = shown.cell("11:00", shown.headings.index(str(wei)))
    assert "schedule-off" in wei_morning.classes()
    assert _hrefs(wei_morning) == []
    assert _hrefs(shown.cell("13:00", shown.headings.index(str(wei)))) == [
        _book_link(wei, clock.today, "13:00")
    ]


def test_a_closed_weekday_and_a_closure_say_so(desk, clock, mei):
    Closure.objects.create(first_day=clock.day(THURSDAY), reason="Staff training")

    saturday = _get(desk, date=clock.day(SATURDAY).isoformat()).content.decode()
    closure = _get(desk, date=clock.day(THURSDAY).isoformat()).content.decode()

    assert "The clinic is closed on Saturdays." in saturday
    assert "The clinic is closed: Staff training." in closure
    for text in (saturday, closure):
        assert "schedule-table" not in text
        assert "/schedule/book/" not in text


def test_a_visit_booked_before_a_closure_is_still_shown(desk, clock, mei):
    visit = AppointmentFactory(practitioner=mei, starts_at=clock.at(THURSDAY, 10))
    Closure.objects.create(first_day=clock.day(THURSDAY), reason="Staff training")

    page = parse(_get(desk, date=clock.day(THURSDAY).isoformat()))

    assert list(visits(page)) == [str(visit.code)]
    assert "/schedule/book/" not in str(_hrefs(page))


def test_a_visit_outside_the_hours_gets_rows_of_its_own(desk, clock, mei):
    early = AppointmentFactory(practitioner=mei, starts_at=clock.at(FRIDAY, 8), length_minutes=30)

    page = parse(_get(desk, date=clock.day(FRIDAY).isoformat()))

    assert table(page).rows[0][0] == "08:00"
    assert list(visits(page)) == [str(early.code)]


def test_a_visit_with_someone_no_longer_bookable_keeps_a_column(desk, clock, mei, wei):
    visit = AppointmentFactory(practitioner=wei, starts_at=clock.at(0, 11))
    wei.is_active = False
    wei.save()

    page = parse(_get(desk))

    assert table(page).headings == [str(mei), str(wei)]
    assert list(visits(page)) == [str(visit.code)]


def test_the_front_desk_checks_in_todays_visits_and_cancels_booked_ones(desk, clock, mei):
    today = AppointmentFactory(practitioner=mei, starts_at=clock.at(0, 11))
    friday = AppointmentFactory(practitioner=mei, starts_at=clock.at(FRIDAY, 11))
    attended = AppointmentFactory(practitioner=mei, starts_at=clock.at(0, 9), status="attended")

    todays = visits(parse(_get(desk)))
    fridays = visits(parse(_get(desk, date=clock.day(FRIDAY).isoformat())))

    check_in = todays[str(today.code)].find("form")
    assert check_in.attrs["action"] == f"/appointments/{today.code}/arrived/"
    assert check_in.attrs["method"] == "post"
    assert f"/appointments/{today.code}/cancel/" in _hrefs(todays[str(today.code)])
    assert todays[str(attended.code)].find_all("form") == []
    assert _hrefs(todays[str(attended.code)]) == [f"/patients/{attended.patient.code}/"]
    assert fridays[str(friday.code)].find_all("form") == []  # checked in on the day
    assert f"/appointments/{friday.code}/cancel/" in _hrefs(fridays[str(friday.code)])


def test_the_check_in_button_posts_with_the_pages_csrf_token(client, front_desk, clock, mei):
    """The card is drawn in Python (scheduling/templatetags/schedule_tags.py): its form
    carries the page's CSRF token, and a client that enforces CSRF can use it."""
    from django.test import Client

    visit = AppointmentFactory(practitioner=mei, starts_at=clock.at(0, 11))
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(front_desk)
    form = visits(parse(browser.get(SCHEDULE)))[str(visit.code)].find("form")
    token = form.find("input", attr="name").attrs
    assert token["name"] == "csrfmiddlewaretoken" and token["type"] == "hidden"

    refused = browser.post(form.attrs["action"], {"back": "schedule"})
    assert refused.status_code == 403  # no token: refused
    checked_in = browser.post(
        form.attrs["action"], {"csrfmiddlewaretoken": token["value"], "back": "schedule"}
    )
    assert checked_in.status_code == 302
    visit.refresh_from_db()
    assert visit.status == "arrived"


def test_names_on_a_card_are_escaped(desk, clock, mei, front_desk):
    patient = PatientFactory(
        first_name="<b>Al</b>", last_name="O'Neil & Sons", created_by=front_desk
    )
    AppointmentFactory(patient=patient, practitioner=mei, starts_at=clock.at(0, 11))

    body = _get(desk).content.decode()

    assert "<b>Al</b>" not in body
    assert "&lt;b&gt;Al&lt;/b&gt; O&#x27;Neil &amp; Sons" in body


def test_a_filtered_day_shows_only_that_practitioner(desk, clock, mei, wei):
    AppointmentFactory(practitioner=wei, starts_at=clock.at(0, 11))

    page = parse(_get(desk, practitioner=mei.pk))

    assert table(page).headings == [str(mei)]
    assert visits(page) == {}


# --- on a phone ------------------------------------------------------------------------


def test_on_a_phone_each_practitioner_has_a_list_instead_of_the_table(desk, clock, mei, wei):
    visit = AppointmentFactory(practitioner=mei, starts_at=clock.at(0, 11))

    page = parse(_get(desk))

    wrapper = page.find("div", cls="schedule-scroll")
    assert {"d-none", "d-md-block"} <= wrapper.classes()  # the table: not on a phone
    lists = page.find("div", cls="schedule-list")
    assert "d-md-none" in lists.classes()  # the lists: only on a phone
    sections = lists.find_all("section")
    assert [s.find("h2").text for s in sections] == [str(mei), str(wei)]
    mei_items = [li.text for li in sections[0].find("ul").find_all("li")]
    assert mei_items[0].startswith("Free 10:15–11:00 Book 10:15")
    assert mei_items[1].startswith("11:00–11:45 (45 min)")
    assert mei_items[2].startswith("Free 11:45–17:00 Book 11:45")
    assert list(visits(page, "list")) == [str(visit.code)]
    assert visits(page, "list")[str(visit.code)].attrs["data-status"] == "booked"
    assert _book_link(mei, clock.today, "10:15") in _hrefs(sections[0])


# --- a practitioner's week -------------------------------------------------------------


def test_the_week_has_a_column_per_day_of_one_practitioners_visits(desk, clock, mei, wei):
    monday = clock.day(-2)
    tuesday = AppointmentFactory(practitioner=mei, starts_at=clock.at(-1, 9, 30))
    friday = AppointmentFactory(practitioner=mei, starts_at=clock.at(FRIDAY, 15))
    AppointmentFactory(practitioner=wei, starts_at=clock.at(FRIDAY, 10))
    AppointmentFactory(practitioner=mei, starts_at=clock.at(MONDAY, 10))  # next week

    page = parse(_get(desk, view="week", practitioner=mei.pk))

    shown = table(page)
    days = [monday + datetime.timedelta(days=n) for n in range(7)]
    assert [h.split(" Today")[0] for h in shown.headings] == [f"{d:%a %-d %b}" for d in days]
    assert "Today" in shown.headings[2]
    assert set(visits(page)) == {str(tuesday.code), str(friday.code)}
    assert shown.cell("09:30", 1) is visits(page)[str(tuesday.code)].parent
    saturday = shown.cell("12:00", 5)
    assert ("schedule-closed-day" in saturday.classes(), saturday.attrs["rowspan"]) == (True, "32")
    assert _hrefs(shown.cell("10:15", 3)) == [_book_link(mei, clock.day(THURSDAY), "10:15")]
    assert "schedule-past" in shown.cell("16:45", 1).classes()
    lead = page.find("p", cls="lead").text
    assert lead.startswith(f"{mei}: week of {monday:%A %-d %B %Y}")


def test_the_week_links_to_the_weeks_before_and_after_and_to_each_day(desk, clock, mei):
    page = parse(_get(desk, view="week", practitioner=mei.pk, date=clock.day(FRIDAY).isoformat()))

    monday = clock.day(-2)
    links = {
        a.text: html.unescape(a.attrs["href"]) for a in page.find("nav", cls="mb-3").find_all("a")
    }
    keep = f"view=week&practitioner={mei.pk}"
    assert links["← Previous week"] == f"/schedule/?date={monday - datetime.timedelta(7)}&{keep}"
    assert links["Next week →"] == f"/schedule/?date={monday + datetime.timedelta(7)}&{keep}"
    assert links["This week"] == f"/schedule/?date={clock.today}&{keep}"
    heading = page.find("table").find("thead").find_all("th")[1]
    assert _hrefs(heading) == [f"/schedule/?date={monday}"]


def test_each_practitioner_on_the_day_links_to_their_week(desk, clock, mei):
    heading = parse(_get(desk)).find("table").find("thead").find_all("th")[1]
    assert _hrefs(heading) == [f"/schedule/?view=week&practitioner={mei.pk}&date={clock.today}"]


# --- what is asked for -----------------------------------------------------------------


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"date": "2026-02-30"}, "date", "Enter a date as YYYY-MM-DD."),
        ({"date": "tomorrow"}, "date", "Enter a date as YYYY-MM-DD."),
        ({"date": "1066-10-14"}, "date", "Enter a date between 1900 and 2199."),
        ({"date": "99999-01-01"}, "date", "Enter a date as YYYY-MM-DD."),
        ({"practitioner": "abc"}, "practitioner", "Choose a practitioner from the list."),
        ({"practitioner": "-3"}, "practitioner", "Choose a practitioner from the list."),
        ({"practitioner": "9" * 25}, "practitioner", "Choose a practitioner from the list."),
        ({"view": "week"}, "practitioner", "Choose a practitioner to see their week."),
        ({"view": "month"}, "view", "Choose a day or a week."),
    ],
)
def test_a_date_or_practitioner_that_cannot_be_shown_gets_a_plain_message(
    desk, clock, mei, query, field, message
):
    response = _get(desk, **query)

    text = response.content.decode()
    errors = re.findall(rf'id="error_\d+_id_{field}"><strong>(.*?)</strong>', text)
    assert errors == [message]
    assert "schedule-table" not in text
    assert "Nothing to show" in text


def test_someone_who_is_not_a_practitioner_cannot_be_asked_for(desk, clock, mei, front_desk):
    text = _get(desk, practitioner=front_desk.pk, view="week").content.decode()

    assert "Choose a practitioner from the list." in text
    assert "schedule-table" not in text


# --- queries ---------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["day", "week"])
def test_the_schedule_takes_the_same_queries_for_5_or_50_visits(
    desk, clock, mei, wei, front_desk, view
):
    query = {"view": view, "practitioner": mei.pk} if view == "week" else {}
    offsets = [-2, -1, 0, 1, 2] if view == "week" else [0]

    def book(count):
        for number in range(count):
            patient = PatientFactory(created_by=front_desk)
            if number % 2:
                IntakeFactory(patient=patient, submitted=True)
            day = offsets[number % len(offsets)]
            hour, quarter = divmod(number // len(offsets) % 32, 4)
            AppointmentFactory(
                patient=patient,
                practitioner=mei if view == "week" or number % 2 else wei,
                starts_at=clock.at(day, 9 + hour, quarter * 15),
                length_minutes=15 if number % 3 else 30,
                status=["booked", "arrived", "cancelled", "attended"][number % 4],
            )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = desk.get(SCHEDULE, query)
        assert response.status_code == 200
        return response, len(captured)

    desk.get(SCHEDULE, query)  # session and permission caches warmed alike for both runs
    book(5)
    small, few = queries()
    book(45)
    large, many = queries()
    assert len(visits(parse(small))) + len(visits(parse(small), "cancelled")) == 5
    assert len(visits(parse(large))) + len(visits(parse(large), "cancelled")) == 50
    assert many == few


# --- the clinic's time zone ------------------------------------------------------------


def test_times_are_the_clinics_local_times(client, front_desk, clock, settings, mei):
    settings.TIME_ZONE = "America/Los_Angeles"
    clock.set(datetime.datetime(2031, 1, 15, 16, 0, tzinfo=datetime.UTC))  # 08:00 there
    visit = AppointmentFactory(
        practitioner=mei, starts_at=datetime.datetime(2031, 1, 15, 17, 30, tzinfo=datetime.UTC)
    )
    client.force_login(front_desk)

    page = parse(_get(client))

    assert timezone.localdate() == datetime.date(2031, 1, 15)
    element = visits(page)[str(visit.code)]
    assert element.text.startswith("09:30–10:15 (45 min)")
    assert table(page).cell("09:30", 0) is element.parent
    assert table(page).rows[0][0] == "09:00"
