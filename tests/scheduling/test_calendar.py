"""A visit as an iCalendar file (scheduling.calendar.appointment_ics): its times
carry the clinic's time zone, so a phone elsewhere shows the clinic's hour."""

import datetime

import pytest
from icalendar import Calendar

from scheduling.calendar import appointment_ics
from scheduling.models import Appointment
from tests.factories import AppointmentFactory, PractitionerProfileFactory

pytestmark = pytest.mark.django_db

# A winter morning: Los Angeles is 8 hours behind UTC then.
AT_17_30_UTC = datetime.datetime(2031, 1, 15, 17, 30, tzinfo=datetime.UTC)


def _unfolded(ics: bytes) -> str:
    return ics.decode().replace("\r\n ", "").replace("\r\n\t", "")


@pytest.fixture
def in_los_angeles(settings):
    settings.TIME_ZONE = "America/Los_Angeles"


@pytest.fixture
def visit(db):
    practitioner = PractitionerProfileFactory(
        user__first_name="Wei", user__last_name="Lindqvist"
    ).user
    return AppointmentFactory(practitioner=practitioner, starts_at=AT_17_30_UTC, length_minutes=60)


def test_the_calendar_file_gives_the_clinics_time_with_its_time_zone(in_los_angeles, visit):
    text = _unfolded(appointment_ics(visit))

    assert "DTSTART;TZID=America/Los_Angeles:20310115T093000\r\n" in text
    assert "DTEND;TZID=America/Los_Angeles:20310115T103000\r\n" in text
    assert "BEGIN:VTIMEZONE\r\nTZID:America/Los_Angeles\r\n" in text
    assert text.index("BEGIN:VTIMEZONE") < text.index("BEGIN:VEVENT")


def test_a_calendar_app_reads_the_same_moment_back(in_los_angeles, visit):
    event = next(iter(Calendar.from_ical(appointment_ics(visit)).walk("VEVENT")))

    assert event.decoded("dtstart") == AT_17_30_UTC
    assert event.decoded("dtend") == AT_17_30_UTC + datetime.timedelta(hours=1)
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["description"]).startswith("With Wei Lindqvist.")


def test_the_calendar_file_of_a_cancelled_visit_says_so(visit):
    visit.status = Appointment.Status.CANCELLED
    visit.save()

    event = next(iter(Calendar.from_ical(appointment_ics(visit)).walk("VEVENT")))

    assert str(event["status"]) == "CANCELLED"
    assert event.decoded("sequence") == 1


def test_the_download_on_the_chart_is_this_file(client, in_los_angeles, visit, front_desk):
    client.force_login(front_desk)

    response = client.get(f"/appointments/{visit.code}/ics/")

    assert response.status_code == 200
    assert "DTSTART;TZID=America/Los_Angeles:20310115T093000" in _unfolded(response.content)
    assert response["Content-Disposition"] == (
        'attachment; filename="acupuncture-2031-01-15-0930.ics"'
    )
