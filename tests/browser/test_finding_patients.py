"""Finding a patient as the front desk types, and the duplicate guard catching a
near-duplicate, on a phone (375 px) in Chromium."""

import datetime

import pytest
from playwright.sync_api import expect

from accounts import roles
from intake.models import Patient
from tests.browser.conftest import PHONE, assert_accessible
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def desk():
    return UserFactory(username="reception", first_name="Rosa", role=roles.FRONT_DESK)


@pytest.fixture
def garcia(desk):
    PatientFactory(first_name="Ana", last_name="Mcgarcia", created_by=desk)
    return PatientFactory(
        first_name="Tomás",
        last_name="García",
        date_of_birth=datetime.date(1958, 3, 14),
        phone="+14155550134",
        email="tomas.g@example.org",
        created_by=desk,
    )


def _search(page, query):
    page.goto("/patients/")
    page.get_by_label("Name, date of birth (MM/DD/YYYY or YYYY-MM-DD), phone or email").fill(query)
    page.get_by_role("button", name="Search").click()
    return page.locator("table.table-patients tbody tr")


def test_the_desk_finds_a_patient_by_a_us_date_part_of_an_email_or_a_name_without_accents(
    desk, garcia, page_for
):
    page = page_for(desk, viewport=PHONE)

    rows = _search(page, "03/14/1958")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("García, Tomás")

    rows = _search(page, "tomas.g")
    expect(rows.first).to_contain_text("García, Tomás")

    rows = _search(page, "garcia")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("García, Tomás")  # the whole name first
    expect(rows.nth(1)).to_contain_text("Mcgarcia, Ana")
    assert_accessible(page)

    _search(page, "02/30/1958")
    expect(page.get_by_role("status")).to_contain_text("No patients found for “02/30/1958”")


def test_registering_the_name_without_accents_meets_the_guard_and_can_go_ahead(
    desk, garcia, page_for
):
    page = page_for(desk, viewport=PHONE)
    page.goto("/patients/new/")
    identity = page.get_by_role("group", name="Patient", exact=True)
    identity.get_by_label("First name").fill("Tomas")
    identity.get_by_label("Last name").fill("Garcia")
    identity.get_by_label("Date of birth").fill("1958-03-14")
    identity.get_by_label("Sex").select_option(label="Male")
    page.get_by_role("group", name="Contact", exact=True).get_by_label("Phone").fill("415 555 0134")
    page.get_by_role("button", name="Register patient").click()

    guard = page.get_by_role("alert").filter(
        has=page.get_by_role("heading", name="This may be a patient who is already registered")
    )
    expect(guard).to_contain_text("Matched on: same name, same phone.")
    expect(guard.get_by_role("link", name="Tomás García")).to_be_visible()
    assert_accessible(page)
    assert Patient.objects.count() == 2, "the guard saved nothing"

    guard.get_by_role("button", name="It's a different person: register anyway").click()
    expect(page.get_by_role("status")).to_have_text("Tomas Garcia is registered.")
    assert Patient.objects.filter(last_name__in=["Garcia", "García"]).count() == 2
