"""The front desk's journeys (issue 7), in Chromium at desktop size.

Journey 1: log in with a password, register a patient, meet the duplicate guard on
a second registration of the same person, make an intake link (and check, on a
phone, that the link opens the intake). Journey 4: find a patient on the visits-due
worklist and book the next visit.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from intake.models import IntakeInvitation, Patient
from scheduling.models import Appointment
from scheduling.selectors import next_free_slot
from tests.browser.conftest import PHONE, assert_accessible, type_login
from tests.factories import (
    TEST_PASSWORD,
    PatientFactory,
    PractitionerProfileFactory,
    UserFactory,
    make_plan,
    sign_history,
)
from tests.payloads import open_day

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CHART_URL = re.compile(r"/patients/[0-9a-f-]{36}/$")
LOGIN_URL = re.compile(r"/accounts/login/(\?.*)?$")


@pytest.fixture
def desk():
    return UserFactory(
        username="reception", first_name="Rosa", last_name="Lind", role=roles.FRONT_DESK
    )


def _type_identity(page, *, sex):
    patient = page.get_by_role("group", name="Patient", exact=True)
    patient.get_by_label("First name").fill("Amara")
    patient.get_by_label("Last name").fill("Okonkwo")
    patient.get_by_label("Date of birth").fill("1984-03-09")
    patient.get_by_label("Sex").select_option(label=sex)


# --- journey 1 -----------------------------------------------------------------------


def test_front_desk_logs_in_registers_a_patient_meets_the_duplicate_guard_and_makes_an_intake_link(
    desk, page_for
):
    page = page_for()

    # Logs in by typing: no two-factor step for the front desk without a device.
    type_login(page, "reception", TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Hello, Rosa")).to_be_visible()

    # Registers a patient from the dashboard, every field typed through its label.
    page.get_by_role("main").get_by_role("link", name="Register patient").click()
    expect(page.get_by_role("heading", name="Register a patient")).to_be_visible()
    _type_identity(page, sex="Female")
    contact = page.get_by_role("group", name="Contact", exact=True)
    contact.get_by_label("Phone").fill("(415) 555-0142")
    contact.get_by_label("Email").fill("amara.okonkwo@example.com")
    emergency = page.get_by_role("group", name="Emergency contact")
    emergency.get_by_label("Name", exact=True).fill("Chidi Okonkwo")
    emergency.get_by_label("Phone").fill("+1 415 555 0177")
    page.get_by_role("button", name="Register patient").click()

    expect(page).to_have_url(CHART_URL)
    expect(page.get_by_role("status")).to_have_text("Amara Okonkwo is registered.")
    chart_url = page.url
    patient = Patient.objects.get()
    assert chart_url.endswith(f"/patients/{patient.code}/")
    assert (patient.first_name, patient.last_name) == ("Amara", "Okonkwo")
    assert patient.date_of_birth == datetime.date(1984, 3, 9)
    assert patient.sex == "female"
    assert patient.phone == "+14155550142"
    assert patient.email == "amara.okonkwo@example.com"
    assert patient.emergency_contact_name == "Chidi Okonkwo"
    assert patient.emergency_contact_phone == "+14155550177"
    assert patient.created_by == desk

    # A second registration of the same name and date of birth stops at the guard,
    # which keeps what was typed and names the existing chart.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Register patient").click()
    _type_identity(page, sex="Unknown / prefer not to say")
    page.get_by_role("group", name="Contact", exact=True).get_by_label("Phone").fill("415 555 0199")
    page.get_by_role("button", name="Register patient").click()

    guard = page.get_by_role("alert").filter(
        has=page.get_by_role("heading", name="This may be a patient who is already registered")
    )
    expect(guard).to_be_visible()
    expect(guard).to_contain_text(
        "1 chart already has the same date of birth and a similar name, the same phone or "
        "the same email"
    )
    expect(guard).to_contain_text("Matched on: same name.")
    expect(guard).to_contain_text("born 1984-03-09")
    register_anyway = "It's a different person: register anyway"
    expect(guard.get_by_role("button", name=register_anyway)).to_be_visible()
    identity = page.get_by_role("group", name="Patient", exact=True)
    expect(identity.get_by_label("First name")).to_have_value("Amara")
    contact = page.get_by_role("group", name="Contact", exact=True)
    expect(contact.get_by_label("Phone")).to_have_value("415 555 0199")
    assert Patient.objects.count() == 1, "the guard saved nothing"

    # It is the same person: the front desk opens the existing chart from the guard.
    guard.get_by_role("link", name="Amara Okonkwo").click()
    expect(page).to_have_url(chart_url)
    intake_card = page.locator("#intake")
    expect(intake_card).to_have_attribute("data-intake-status", "not_sent")

    # Makes an intake link: the chart shows it once, and the intake is now "sent".
    intake_card.get_by_role("button", name="Make an intake link", exact=True).click()
    link_field = page.get_by_label("Intake link")
    expect(link_field).to_have_value(re.compile(r"^http://[^/]+/intake/[A-Za-z0-9_-]{22,}/$"))
    expect(page.locator("#intake")).to_have_attribute("data-intake-status", "sent")
    expect(page.locator("#intake").get_by_text("Sent", exact=True)).to_be_visible()
    link = link_field.input_value()
    assert IntakeInvitation.objects.filter(patient=patient).count() == 1
    assert Patient.objects.count() == 1

    # The link opens step 1 of this patient's intake on a phone, with no login.
    phone = page_for(viewport=PHONE)
    phone.goto(link)
    expect(phone).to_have_url(re.compile(r"/intake/[A-Za-z0-9_-]+/step/1/$"))
    expect(phone.get_by_role("heading", name="About you")).to_contain_text("Step 1 of 6")
    expect(phone.get_by_text("Amara Okonkwo", exact=True)).to_be_visible()


def test_wrong_password_shows_an_error_at_the_form_and_does_not_log_in(desk, page_for):
    page = page_for()
    type_login(page, "reception", "not-the-password")

    expect(page).to_have_url(LOGIN_URL)
    error = page.locator("form .invalid-feedback")
    expect(error).to_be_visible()
    expect(error).to_contain_text("correct username and password")
    expect(page.get_by_label("Username")).to_have_value("reception")
    expect(page.get_by_label("Password")).to_have_value("")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))


# --- journey 4 -----------------------------------------------------------------------


def test_front_desk_books_the_next_visit_from_the_due_worklist(desk, page_for):
    today = timezone.localdate()
    mei = PractitionerProfileFactory(
        user__username="okafor", user__first_name="Mei", user__last_name="Okafor"
    ).user
    # Weekly plans whose last signed visit was 9 days ago: next visit due 2 days ago.
    tomasz = PatientFactory(first_name="Tomasz", last_name="Wielgosz", created_by=desk)
    other = PatientFactory(first_name="Ines", last_name="Varga", created_by=desk)
    for patient in (tomasz, other):
        make_plan(patient, user=mei)
        sign_history(patient, user=mei, scores=[6], start=today - datetime.timedelta(days=9))

    page = page_for(user=desk)
    page.goto("/")
    visits_due = page.locator(".card").filter(has=page.get_by_role("heading", name="Visits due"))
    expect(visits_due.locator('[data-count="to_book"]')).to_have_text("2")
    visits_due.get_by_role("link", name="Open the worklist").click()

    expect(page).to_have_url(re.compile(r"/plans/due/$"))
    expect(page.get_by_role("heading", name="Visits due", exact=True)).to_be_visible()
    assert_accessible(page)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Tomasz Wielgosz"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Due 2 days ago")
    expect(row).to_contain_text("Mei Okafor")
    row.get_by_role("link", name="Book").click()

    expect(page.get_by_role("heading", name="Book the next visit")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Tomasz Wielgosz")
    # Due already passed: the form offers the plan's practitioner's first free time
    # from now (today, or the next day the clinic opens).
    first_free = timezone.localtime(next_free_slot(mei, today, 45, patient=tomasz))
    expect(page.get_by_label("Date")).to_have_value(first_free.date().isoformat())
    expect(page.get_by_label("Time")).to_have_value(f"{first_free:%H:%M}")
    expect(page.get_by_label("Practitioner")).to_have_value(str(mei.pk))
    assert_accessible(page)

    day = open_day(2)
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Time").fill("10:30")
    page.get_by_label("Practitioner").select_option(label="Mei Okafor")
    page.get_by_label("Length").select_option(label="1 hour")
    # An impatient double click books the visit once (Chromium sends one POST; the
    # server's own guard against a repeated booking is tested without a browser).
    page.get_by_role("button", name="Book").dblclick()

    expect(page).to_have_url(re.compile(r"/plans/due/$"))
    booked = f"Booked: {day:%A} {day.day} {day:%B} at 10:30 with Mei Okafor."
    expect(page.get_by_role("status")).to_have_text(booked)
    # Gone from "To book" (Ines stays), now under "Booked".
    expect(page.get_by_role("link", name="Ines Varga")).to_be_visible()
    expect(page.get_by_role("link", name="Tomasz Wielgosz")).to_have_count(0)
    expect(page.locator('[data-count="to_book"]')).to_have_text("1")
    expect(page.locator('[data-count="booked"]')).to_have_text("1")

    page.get_by_role("link", name=re.compile(r"^Booked")).click()
    expect(page.get_by_role("link", name=re.compile(r"^Booked"))).to_have_attribute(
        "aria-current", "page"
    )
    booked_row = page.get_by_role("row").filter(
        has=page.get_by_role("link", name="Tomasz Wielgosz")
    )
    expect(booked_row).to_contain_text(f"{day:%a} {day.day} {day:%b}, 10:30")
    expect(page.get_by_role("link", name="Ines Varga")).to_have_count(0)

    appointment = Appointment.objects.get()
    assert appointment.patient == tomasz
    assert appointment.practitioner == mei
    assert appointment.starts_at == timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(10, 30))
    )
    assert appointment.length_minutes == 60
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.created_by == desk
