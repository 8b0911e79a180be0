"""The clinic's day in a browser, as the people who live in it use it:

1. the front desk checks a patient in from the schedule;
2. the acupuncturist starts the session from "Today", signs it, and the visit shows
   attended on the schedule;
3. the front desk books a free time from the schedule, on a phone.
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from scheduling.models import Appointment, OpeningHours
from tests.browser.conftest import PHONE
from tests.factories import (
    SCREENING_NO,
    AppointmentFactory,
    IntakeFactory,
    PatientFactory,
    PractitionerProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def clinic_open_all_day():
    """Whatever day and hour the test runs, the clinic is open now (and for hours)."""
    weekday = timezone.localdate().weekday()
    OpeningHours.objects.filter(weekday=weekday).delete()
    OpeningHours.objects.create(
        weekday=weekday, starts=datetime.time(0, 0), ends=datetime.time(23, 45)
    )


@pytest.fixture
def today(clinic_open_all_day):
    """A front desk, a practitioner and a patient booked with her soon today."""
    desk = UserFactory(username="desk", role=roles.FRONT_DESK)
    mei = PractitionerProfileFactory(
        user__username="mei", user__first_name="Mei", user__last_name="Okafor"
    ).user
    ada = PatientFactory(first_name="Ada", last_name="Quill", created_by=desk)
    IntakeFactory(patient=ada, submitted=True, **SCREENING_NO)
    now = timezone.localtime()
    starts = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    if starts.date() != now.date() or starts.hour == 23:
        starts = now.replace(hour=22, minute=0, second=0, microsecond=0)
    visit = AppointmentFactory(patient=ada, practitioner=mei, starts_at=starts, created_by=desk)
    return {"desk": desk, "mei": mei, "ada": ada, "visit": visit}


def test_the_front_desk_checks_a_patient_in_from_the_schedule(today, page_for):
    page = page_for(today["desk"])
    page.goto("/")
    page.get_by_role("link", name="Schedule").first.click()

    visit = page.locator(f'[data-appointment="{today["visit"].code}"]:visible')
    expect(visit).to_have_attribute("data-status", "booked")
    expect(visit).to_contain_text("Ada Quill")
    visit.get_by_role("button", name="Check in").click()

    expect(page.get_by_role("status").filter(has_text="checked in")).to_be_visible()
    visit = page.locator(f'[data-appointment="{today["visit"].code}"]:visible')
    expect(visit).to_have_attribute("data-status", "arrived")
    stored = Appointment.objects.get(pk=today["visit"].pk)
    assert stored.status == "arrived"
    assert stored.arrived_at is not None


def test_the_acupuncturist_starts_the_session_from_today_and_the_visit_is_attended(today, page_for):
    Appointment.objects.filter(pk=today["visit"].pk).update(
        status="arrived", arrived_at=timezone.now()
    )
    page = page_for(today["mei"])
    page.goto("/")
    row = page.locator(f'[data-appointment="{today["visit"].code}"]')
    expect(row).to_have_attribute("data-status", "arrived")
    row.get_by_role("link", name="Start session").click()

    expect(page.get_by_role("heading", name="Log a session")).to_be_visible()
    page.get_by_label("Pain before treatment (0-10)").fill("6")
    page.get_by_label("Pain after treatment (0-10)").fill("3")
    page.get_by_role("textbox", name="Points").fill("GB20, GB21")
    page.get_by_label("Manual needling").check()
    page.get_by_label("Needles inserted").fill("4")
    page.get_by_label("Needles removed").fill("4")
    page.get_by_role("button", name="Save and sign").click()

    expect(page.locator("[data-session-status]")).to_have_attribute("data-session-status", "signed")
    page.goto("/schedule/")
    visit = page.locator(f'[data-appointment="{today["visit"].code}"]:visible')
    expect(visit).to_have_attribute("data-status", "attended")
    assert Appointment.objects.get(pk=today["visit"].pk).status == "attended"


def test_the_front_desk_books_a_free_time_from_the_schedule_on_a_phone(today, page_for):
    bea = PatientFactory(first_name="Bea", last_name="Lindqvist", created_by=today["desk"])
    page = page_for(today["desk"], viewport=PHONE)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    OpeningHours.objects.get_or_create(
        weekday=tomorrow.weekday(), starts=datetime.time(9), ends=datetime.time(17)
    )
    page.goto(f"/schedule/?date={tomorrow}")

    page.locator("a[href*='/schedule/book/']:visible").first.click()
    page.get_by_label("Find the patient").fill("Lindqvist")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Book Bea Lindqvist").click()
    expect(page.get_by_role("heading", name="Book the next visit")).to_be_visible()
    expect(page.get_by_label("Date")).to_have_value(tomorrow.isoformat())
    page.get_by_role("button", name="Book").click()

    expect(page.get_by_role("status").filter(has_text="Booked")).to_be_visible()
    booked = Appointment.objects.get(patient=bea)
    assert timezone.localtime(booked.starts_at).date() == tomorrow
    assert booked.practitioner == today["mei"]
