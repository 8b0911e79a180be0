"""The schedule in a browser: axe-core finds no serious violation on the day view at
1280 px (the table) and at 375 px (a list per practitioner), and a free time is
booked by keyboard alone: from the schedule, through the patient search, to the
booking form filled in with that time."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from scheduling.models import Appointment
from tests.browser.conftest import DESKTOP, PHONE, accessibility_violations
from tests.factories import (
    AppointmentFactory,
    IntakeFactory,
    PatientFactory,
    PractitionerProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _open_day(days_ahead: int) -> datetime.date:
    """The first weekday (the clinic opens Monday to Friday) from days_ahead on."""
    day = timezone.localdate() + datetime.timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def _tab_to(page, target, presses=200):
    """Press Tab until the focus is on `target`, as a keyboard user would."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail("Tab never reached it")


@pytest.fixture
def day_with_visits():
    """A day the clinic opens, a few days ahead, with visits of every kind."""
    desk = UserFactory(username="desk", role=roles.FRONT_DESK)
    mei = PractitionerProfileFactory(
        user__username="mei", user__first_name="Mei", user__last_name="Okafor"
    ).user
    wei = PractitionerProfileFactory(
        user__username="wei", user__first_name="Wei", user__last_name="Lindqvist"
    ).user
    day = _open_day(3)

    def at(hour, minute=0):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))

    ada = PatientFactory(first_name="Ada", last_name="Quill", created_by=desk)
    IntakeFactory(patient=ada, submitted=True)
    AppointmentFactory(patient=ada, practitioner=mei, starts_at=at(10))
    AppointmentFactory(practitioner=mei, starts_at=at(11, 30), length_minutes=90)
    AppointmentFactory(practitioner=wei, starts_at=at(9, 15), length_minutes=30)
    AppointmentFactory(practitioner=wei, starts_at=at(14), status=Appointment.Status.CANCELLED)
    return {"desk": desk, "mei": mei, "day": day, "ada": ada}


def _report(violations):
    return "\n".join(
        f"{v['impact']} {v['id']} ({v['help']}) at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:4])
        for v in violations
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "375px"])
def test_the_day_view_has_no_serious_violations(day_with_visits, page_for, viewport):
    page = page_for(day_with_visits["desk"], viewport=viewport)
    page.goto(f"/schedule/?date={day_with_visits['day']}")

    table, lists = page.locator("table.schedule-table"), page.locator(".schedule-list")
    if viewport is PHONE:
        expect(table).to_be_hidden()
        expect(lists.get_by_role("heading", name="Mei Okafor")).to_be_visible()
        expect(lists.get_by_role("link", name="Ada Quill", exact=True)).to_be_visible()
    else:
        expect(table).to_be_visible()
        expect(lists).to_be_hidden()
        expect(table.get_by_role("columnheader", name="Wei Lindqvist")).to_be_visible()
        expect(table.get_by_role("rowheader", name="09:00")).to_be_visible()
    violations = accessibility_violations(page)
    assert not violations, _report(violations)


def test_a_free_time_is_booked_by_keyboard_alone(day_with_visits, page_for):
    page = page_for(day_with_visits["desk"])
    page.goto(f"/schedule/?date={day_with_visits['day']}")
    free = page.get_by_role("link", name="Book 09:00 with Mei Okafor")

    _tab_to(page, free)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Book a free time")).to_be_visible()
    expect(page.get_by_label("Find the patient")).to_be_focused()
    page.keyboard.type("Quill")
    page.keyboard.press("Enter")
    _tab_to(page, page.get_by_role("link", name="Book Ada Quill"))
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/appointments/new/\?"))
    expect(page.get_by_label("Date")).to_have_value(day_with_visits["day"].isoformat())
    expect(page.get_by_label("Time")).to_have_value("09:00")
    expect(page.get_by_label("Practitioner")).to_have_value(str(day_with_visits["mei"].pk))
