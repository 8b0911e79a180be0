"""Booking a free time chosen on the schedule (/schedule/book/): find the patient,
then the booking form filled in with the time, then back to the schedule.

The clock stands at 10:07 on a Wednesday (tests/scheduling/conftest.py).
"""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from intake.services import patient_archive
from scheduling.models import Appointment
from tests.factories import PatientFactory, PractitionerProfileFactory
from tests.scheduling.pages import parse

pytestmark = pytest.mark.django_db

BOOK = "/schedule/book/"
FRIDAY = 2


@pytest.fixture
def mei(db):
    return PractitionerProfileFactory(user__first_name="Mei", user__last_name="Okafor").user


@pytest.fixture
def desk(client, front_desk, clock):
    client.force_login(front_desk)
    return client


@pytest.fixture
def slot(clock, mei):
    """The free time Friday at 14:30 with Mei, as the schedule's link gives it."""
    return {"practitioner": str(mei.pk), "date": clock.day(FRIDAY).isoformat(), "time": "14:30"}


def _results(response) -> dict[str, str]:
    """Each patient found: name -> where its Book link leads."""
    rows = parse(response).find("table").find("tbody").find_all("tr")
    return {row.find("td").text: html.unescape(row.find("a").attrs["href"]) for row in rows}


def _count(response) -> int:
    return len(parse(response).find("table").find_all("tr", attr="data-patient"))


def test_the_page_says_which_time_is_being_booked(desk, slot, clock, mei):
    response = desk.get(BOOK, slot)

    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert f"{clock.day(FRIDAY):%A %-d %B %Y}, 14:30" in text
    assert str(mei) in text
    assert 'name="q"' in text


@pytest.mark.parametrize(
    "typed", ["quill", "Ada Qu", "+1 415 555 0177", "0177", "1984-02-29"], ids=str
)
def test_a_patient_is_found_by_name_phone_or_date_of_birth(desk, slot, front_desk, typed):
    ada = PatientFactory(
        first_name="Ada",
        last_name="Quill",
        phone="+14155550177",
        date_of_birth=datetime.date(1984, 2, 29),
        created_by=front_desk,
    )
    PatientFactory(first_name="Bo", last_name="Ray", phone="+14155550999", created_by=front_desk)

    found = _results(desk.get(BOOK, {**slot, "q": typed}))

    assert list(found) == ["Ada Quill"]
    booking = f"/patients/{ada.code}/appointments/new/?"
    assert found["Ada Quill"] == (
        f"{booking}practitioner={slot['practitioner']}&date={slot['date']}&time=14:30&from=schedule"
    )


def test_archived_charts_are_not_offered(desk, slot, front_desk):
    gone = PatientFactory(first_name="Ada", last_name="Quill", created_by=front_desk)
    patient_archive(patient=gone, reason="Moved away", archived_by=front_desk)

    text = desk.get(BOOK, {**slot, "q": "Quill"}).content.decode()

    assert f"/patients/{gone.code}/" not in text
    assert "No active patient matches." in text


def test_the_chosen_patient_is_booked_into_the_time_and_the_schedule_shows_it(
    desk, slot, front_desk, clock, mei
):
    ada = PatientFactory(first_name="Ada", last_name="Quill", created_by=front_desk)
    form_url = _results(desk.get(BOOK, {**slot, "q": "Quill"}))["Ada Quill"]
    form = desk.get(form_url).content.decode()
    sent = {
        name: re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', form)[1]
        for name in ("date", "time")
    }

    response = desk.post(
        form_url, {**sent, "practitioner": slot["practitioner"], "length_minutes": "45"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/schedule/?date={slot['date']}"
    visit = Appointment.objects.get(patient=ada)
    assert visit.starts_at == clock.at(FRIDAY, 14, 30)
    assert visit.practitioner == mei
    schedule = desk.get(response["Location"]).content.decode()
    assert f'data-appointment="{visit.code}"' in schedule


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"practitioner": "abc"}, "Choose a practitioner from the list."),
        ({"practitioner": ""}, "Choose a practitioner."),
        ({"date": "2026-13-01"}, "Enter a date as YYYY-MM-DD."),
        ({"time": "25:61"}, "Enter a time as HH:MM."),
    ],
)
def test_a_link_that_names_no_free_time_gets_a_plain_message(desk, slot, changes, message):
    response = desk.get(BOOK, {**slot, **changes, "q": "Quill"})

    assert response.status_code == 200
    text = response.content.decode()
    assert message in text
    assert 'name="q"' not in text


def test_a_front_desk_colleague_cannot_be_booked_as_the_practitioner(desk, slot, front_desk):
    text = desk.get(BOOK, {**slot, "practitioner": front_desk.pk}).content.decode()

    assert "Choose a practitioner from the list." in text


def test_the_search_takes_the_same_queries_for_3_or_20_patients_found(desk, slot, front_desk):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = desk.get(BOOK, {**slot, "q": "Quill"})
        return response, len(captured)

    for _ in range(3):
        PatientFactory(last_name="Quill", created_by=front_desk)
    desk.get(BOOK, {**slot, "q": "Quill"})  # caches warmed alike for both runs
    small, few = queries()
    for _ in range(17):
        PatientFactory(last_name="Quill", created_by=front_desk)
    large, many = queries()

    assert (_count(small), _count(large)) == (3, 20)
    assert many == few
