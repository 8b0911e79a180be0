"""The points field of the session form, on a phone and on a desktop (issue 20): a point
picked from the completion list and a side typed after it, a point picked with its side,
a protocol applied on top without writing a point twice, and the note saved with the
right sides. The field wraps and grows, so a list of ten points shows whole on a phone.

Screenshots of each step go to ACUCLINIC_SCREENSHOTS when it is set, to look at.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sessions.models import TreatmentSession
from tests.browser.conftest import DESKTOP, PHONE, assert_accessible
from tests.factories import (
    PatientFactory,
    PractitionerProfileFactory,
    ProtocolFactory,
    TreatmentSessionFactory,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VIEWPORTS = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]
TEN_POINTS = "GB20 L, GB21 R, BL23, BL25, BL40 L, LI4 R, ST36, SP6, LR3, KI3"


def _shot(page, name: str, part: str) -> None:
    """The screen as the practitioner sees it, scrolled to `part` (a CSS selector)."""
    folder = os.environ.get("ACUCLINIC_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.locator(part).first.evaluate(
            "el => el.scrollIntoView({block: 'start', behavior: 'instant'})"
        )
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def _watch_console(page) -> list[str]:
    """Errors the page logs (a script refused by the Content-Security-Policy among them)."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def _option(page, label: str):
    """The completion option for `label` ("GB20", "GB20 R"), not its sided neighbours."""
    return page.get_by_role("option", name=re.compile(rf"^{re.escape(label)} [A-Z][a-z]"))


def _fits(field) -> bool:
    """Nothing of the field's text is scrolled out of sight."""
    return field.evaluate(
        "el => el.scrollHeight <= el.clientHeight && el.scrollWidth <= el.clientWidth"
    )


@pytest.fixture
def practitioner():
    return PractitionerProfileFactory(user__username="needles").user


@pytest.fixture
def patient():
    return PatientFactory(first_name="Rosa", last_name="Quinn")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_point_picked_given_a_side_and_a_protocol_added_are_saved_each_once_with_its_side(
    page_for, practitioner, patient, viewport
):
    ProtocolFactory(name="Neck pain", points="GB20, BL10, SI3", created_by=practitioner)
    width = "375" if viewport == PHONE else "1280"
    page = page_for(practitioner, viewport=viewport)
    errors = _watch_console(page)
    page.goto(f"/patients/{patient.code}/sessions/new/")
    page.get_by_label("Pain before treatment (0-10)").fill("6")
    points = page.get_by_role("textbox", name="Points")
    suggestions = page.get_by_role("listbox", name="Matching points")

    # LI4 picked, then a side typed after the ", " the pick leaves.
    points.press_sequentially("li4")
    expect(_option(page, "LI4")).to_have_attribute("aria-selected", "true")
    points.press("Enter")
    expect(points).to_have_value("LI4, ")
    points.press_sequentially("L")
    expect(suggestions).to_be_hidden()
    expect(points).to_have_value("LI4, L")

    # GB20 on the right, chosen from the list: a paired point is offered with each side.
    points.press_sequentially(" gb20")
    expect(suggestions.get_by_role("option")).to_have_count(3)
    expect(suggestions.get_by_role("option").nth(0)).to_contain_text("GB20 Fengchi")
    expect(_option(page, "GB20 L")).to_contain_text("Gallbladder, left")
    expect(_option(page, "GB20 R")).to_contain_text("Gallbladder, right")
    assert_accessible(page)
    _shot(page, f"{width}-1-sides-offered", "#points-fieldset")
    _option(page, "GB20 R").click()
    # The side typed for LI4 is written after it as the pick is made.
    expect(points).to_have_value("LI4 L, GB20 R, ")
    expect(points).to_be_focused()

    # The protocol (GB20, BL10, SI3) adds BL10 and SI3; GB20 keeps its side, once.
    page.get_by_role("button", name="Neck pain").click()
    added = page.get_by_role("status").filter(has_text="Added the points of “Neck pain”.")
    expect(added).to_be_visible()
    points = page.get_by_role("textbox", name="Points")
    expect(points).to_have_value("LI4 L, GB20 R, BL10, SI3")
    _shot(page, f"{width}-2-protocol-applied", "#points-fieldset")

    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Draft saved.")).to_be_visible()
    note = page.locator("ul.point-list > li")
    expect(note).to_have_text(
        [
            re.compile(r"^LI4 Hegu\s+L$"),
            re.compile(r"^GB20 Fengchi\s+R$"),
            re.compile(r"^BL10 Tianzhu\s+bilateral$"),
            re.compile(r"^SI3 Houxi\s+bilateral$"),
        ]
    )
    _shot(page, f"{width}-3-note", "#treatment-heading")
    session = TreatmentSession.objects.get(patient=patient)
    assert session.points_text() == "LI4 L, GB20 R, BL10, SI3"
    assert errors == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_list_of_ten_points_shows_whole_in_the_field(page_for, practitioner, patient, viewport):
    TreatmentSessionFactory(patient=patient, created_by=practitioner, points=TEN_POINTS)
    width = "375" if viewport == PHONE else "1280"
    page = page_for(practitioner, viewport=viewport)
    errors = _watch_console(page)
    page.goto(f"/patients/{patient.code}/sessions/new/")

    # Pre-filled from the last visit: the whole list is in sight as the page opens.
    points = page.get_by_role("textbox", name="Points")
    expect(points).to_have_value(TEN_POINTS)
    assert _fits(points)
    _shot(page, f"{width}-4-ten-points", "#points-fieldset")

    # It grows as points are added, and shrinks back (to two lines at least) when cleared.
    points.press("End")
    points.press_sequentially(", GV20, BL60 L, GB34 R, TE5")
    assert _fits(points)
    points.fill("")
    assert points.evaluate("el => el.rows") == 2
    assert errors == []


def test_an_extra_point_code_with_a_hyphen_completes_and_takes_a_side(
    page_for, practitioner, patient
):
    # The WHO extra points are in the list with codes like EX-HN3; Yintang is on the
    # midline (no sides offered), Taiyang is paired.
    page = page_for(practitioner, viewport=PHONE)
    page.goto(f"/patients/{patient.code}/sessions/new/")
    points = page.get_by_role("textbox", name="Points")

    points.press_sequentially("ex-hn3")
    expect(_option(page, "EX-HN3")).to_have_attribute("aria-selected", "true")
    expect(_option(page, "EX-HN3 L")).to_have_count(0)
    points.press("Enter")
    expect(points).to_have_value("EX-HN3, ")

    points.press_sequentially("taiyang")
    options = page.get_by_role("listbox", name="Matching points").get_by_role("option")
    expect(options).to_have_count(3)
    points.press("ArrowDown")
    points.press("ArrowDown")
    points.press("Enter")
    expect(points).to_have_value("EX-HN3, EX-HN5 R, ")


def test_a_midline_point_is_offered_without_sides(page_for, practitioner, patient):
    page = page_for(practitioner, viewport=DESKTOP)
    page.goto(f"/patients/{patient.code}/sessions/new/")
    points = page.get_by_role("textbox", name="Points")

    points.press_sequentially("du20")

    options = page.get_by_role("listbox", name="Matching points").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options).to_have_text(re.compile(r"^GV20 Baihui"))


def test_without_javascript_the_field_is_plain_text_and_a_side_after_a_comma_is_read(
    open_context, practitioner, patient
):
    page = open_context(viewport=PHONE, user=practitioner, java_script_enabled=False).new_page()
    page.goto(f"/patients/{patient.code}/sessions/new/")
    page.get_by_label("Pain before treatment (0-10)").fill("6")
    points = page.get_by_label("Points")
    expect(points).to_have_attribute("rows", "2")
    points.fill("GB20, L, BL23, li4, R")

    page.get_by_role("button", name="Save draft", exact=True).click()

    expect(page.locator("ul.point-list > li")).to_have_text(
        [
            re.compile(r"^GB20 Fengchi\s+L$"),
            re.compile(r"^BL23 Shenshu\s+bilateral$"),
            re.compile(r"^LI4 Hegu\s+R$"),
        ]
    )
