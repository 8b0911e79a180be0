"""The body map in a real browser (issue 20): the patient's intake step 2 on a 375 px
phone, by touch and by keyboard, with axe-core; the session form's regions treated on a
desktop; the chart's read-only picture. Screenshots of the maps go to
$ACUCLINIC_SHOTS (when set) for a person to look at."""

import os
import re

import pytest
from playwright.sync_api import expect

from intake.models import Intake, IntakePainRegion
from sessions.models import TreatmentSession
from tests.browser.conftest import DESKTOP, PHONE, assert_accessible
from tests.factories import (
    IntakeFactory,
    PatientFactory,
    PractitionerProfileFactory,
    UserFactory,
    make_invitation,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SHOTS = os.environ.get("ACUCLINIC_SHOTS")


def shot(locator, name):
    if SHOTS:
        locator.screenshot(path=os.path.join(SHOTS, f"{name}.png"))


def on_pain_step(open_context, **context):
    """A patient's step 2 (step 1 already saved), and the patient."""
    front_desk = UserFactory(role="Front desk")
    patient = PatientFactory(created_by=front_desk, updated_by=front_desk)
    _invitation, token, link = make_invitation(patient, created_by=front_desk)
    page = open_context(**context).new_page()
    page.goto(link)
    Intake.objects.filter(patient=patient).update(completed_steps=[1])
    page.goto(f"/intake/{token}/step/2/")
    page.wait_for_load_state()
    return page, patient


def target(page, name):
    """A focusable target of the map by its name ("Left leg")."""
    return page.locator("[data-body-map]").get_by_role("button", name=name, exact=True)


def twin(page, region, side=""):
    """The same target on the front figure: for a finger, not the keyboard."""
    return page.locator(
        f'[data-body-map] .map-target[aria-hidden="true"][data-region="{region}"]'
        f'[data-side="{side}"]'
    )


def box(page, label):
    return page.get_by_role("group", name="Where does it hurt?").get_by_role(
        "checkbox", name=label, exact=True
    )


def side(page, label):
    return page.get_by_label(f"{label}: which side?")


def pressed(*targets):
    for one in targets:
        expect(one).to_have_attribute("aria-pressed", "true")


def not_pressed(*targets):
    for one in targets:
        expect(one).to_have_attribute("aria-pressed", "false")


def test_a_patient_marks_where_it_hurts_on_the_map_by_touch_on_a_phone(open_context):
    page, patient = on_pain_step(open_context, viewport=PHONE, has_touch=True)
    body_map = page.locator("[data-body-map]")
    expect(body_map).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Every target is at least 44 px each way: a finger's size.
    targets = body_map.locator(".map-target")
    expect(targets).to_have_count(27)
    for n in range(27):
        hit = targets.nth(n).locator("rect").bounding_box()
        assert min(hit["width"], hit["height"]) >= 44, targets.nth(n).get_attribute("data-region")
    assert_accessible(page)

    left_leg, right_leg = target(page, "Left leg"), target(page, "Right leg")
    legs = box(page, "Legs")
    # The left leg of a region not ticked: ticked, left side.
    left_leg.tap()
    expect(legs).to_be_checked()
    expect(side(page, "Legs")).to_have_value("left")
    pressed(left_leg)
    not_pressed(right_leg)
    expect(twin(page, "legs", "left")).to_have_class(re.compile(r"\bis-chosen\b"))
    # Then the right leg: both sides.
    right_leg.tap()
    expect(side(page, "Legs")).to_have_value("both")
    pressed(left_leg, right_leg)
    # The left leg again: only the right is left.
    left_leg.tap()
    expect(side(page, "Legs")).to_have_value("right")
    not_pressed(left_leg)
    pressed(right_leg)
    # The right leg on the front figure: nothing left, the region unticked.
    twin(page, "legs", "right").tap()
    expect(legs).not_to_be_checked()
    not_pressed(left_leg, right_leg)
    expect(side(page, "Legs")).to_have_value("both")

    # The other way: ticking and choosing in the list shows on the map.
    box(page, "Arms / hands").check()
    pressed(target(page, "Left arm / hand"), target(page, "Right arm / hand"))
    side(page, "Arms / hands").select_option("left")
    pressed(target(page, "Left arm / hand"))
    not_pressed(target(page, "Right arm / hand"))
    box(page, "Arms / hands").uncheck()
    not_pressed(target(page, "Left arm / hand"))
    expect(side(page, "Arms / hands")).to_have_value("both")

    # A region without sides, and its score on the map.
    neck = target(page, "Neck")
    neck.tap()
    expect(box(page, "Neck")).to_be_checked()
    pressed(neck)
    page.get_by_label("Neck: how bad (0-10)?").fill("6")
    expect(neck.locator(".map-score")).to_be_visible()
    expect(neck.locator(".map-score text")).to_have_text("6")
    twin(page, "head").tap()
    pressed(target(page, "Head"))
    target(page, "Right shoulder / shoulder blade").tap()
    assert_accessible(page)
    shot(body_map, "intake-map-phone")
    shot(page.get_by_role("group", name="Where does it hurt?"), "intake-regions-phone")

    page.get_by_label("How bad is your pain right now?").fill("6")
    page.get_by_label("How bad was it at its worst in the last week?").fill("8")
    page.get_by_role("group", name="What kind of pain do you have?").get_by_label(
        "Neck pain"
    ).check()
    page.get_by_label("About how many months have you had this pain?").fill("4")
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(re.compile(r"/step/3/$"))

    intake = Intake.objects.get(patient=patient)
    assert sorted(intake.regions.values_list("region", "side", "score")) == [
        ("head", "both", None),
        ("neck", "both", 6),
        ("shoulders", "right", None),
    ]


def test_a_patient_marks_the_map_with_the_keyboard_alone(open_context):
    # Reduced motion: the focus scrolls the page at once, not smoothly (Bootstrap).
    page, _patient = on_pain_step(open_context, viewport=PHONE, reduced_motion="reduce")
    page.get_by_label("How bad was it at its worst in the last week?").focus()

    # Tab reaches each region in turn, in the list's order, left before right.
    names = []
    for _ in range(15):
        page.keyboard.press("Tab")
        names.append(page.evaluate("document.activeElement.getAttribute('aria-label')"))
    assert names == [
        "Head",
        "Neck",
        "Left shoulder / shoulder blade",
        "Right shoulder / shoulder blade",
        "Upper back",
        "Mid back",
        "Lower back",
        "Left hip / buttock",
        "Right hip / buttock",
        "Left leg",
        "Right leg",
        "Left foot",
        "Right foot",
        "Left arm / hand",
        "Right arm / hand",
    ]
    # Back to the lower back with Shift+Tab: Space toggles, the focus shows.
    for _ in range(8):
        page.keyboard.press("Shift+Tab")
    lower_back = target(page, "Lower back")
    expect(lower_back).to_be_focused()
    outline = lower_back.locator("rect").evaluate("rect => getComputedStyle(rect).stroke")
    assert outline not in ("none", "rgba(0, 0, 0, 0)"), outline
    scroll = page.evaluate("window.scrollY")
    page.keyboard.press("Space")
    pressed(lower_back)
    expect(box(page, "Lower back")).to_be_checked()
    assert page.evaluate("window.scrollY") == scroll  # Space did not scroll the page
    # Enter on a side: that side, then the other side makes both.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(target(page, "Left shoulder / shoulder blade")).to_be_focused()
    page.keyboard.press("Enter")
    expect(side(page, "Shoulders / shoulder blades")).to_have_value("left")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(side(page, "Shoulders / shoulder blades")).to_have_value("both")
    pressed(
        target(page, "Left shoulder / shoulder blade"),
        target(page, "Right shoulder / shoulder blade"),
    )
    page.keyboard.press("Space")
    expect(side(page, "Shoulders / shoulder blades")).to_have_value("left")
    assert_accessible(page)
    shot(page.locator("[data-body-map]"), "intake-map-keyboard-phone")


def test_without_javascript_the_list_is_the_form_and_the_map_stays_hidden(open_context):
    page, patient = on_pain_step(open_context, viewport=PHONE, java_script_enabled=False)

    expect(page.locator("[data-body-map]")).to_be_hidden()
    box(page, "Feet").check()
    side(page, "Feet").select_option("left")
    page.get_by_label("How bad is your pain right now?").fill("3")
    page.get_by_label("How bad was it at its worst in the last week?").fill("5")
    page.get_by_role("group", name="What kind of pain do you have?").get_by_label("Other").check()
    page.get_by_label("About how many months have you had this pain?").fill("2")
    page.get_by_role("button", name="Save and continue").click()

    expect(page).to_have_url(re.compile(r"/step/3/$"))
    intake = Intake.objects.get(patient=patient)
    assert list(intake.regions.values_list("region", "side")) == [("feet", "left")]


def test_the_practitioner_marks_the_regions_treated_on_the_session_form_and_the_note_shows_them(
    open_context,
):
    practitioner = PractitionerProfileFactory().user
    patient = PatientFactory()
    intake = IntakeFactory(patient=patient, submitted=True)
    IntakePainRegion.objects.create(intake=intake, region="legs", side="left", score=6)
    IntakePainRegion.objects.create(intake=intake, region="lower_back", score=7)
    page = open_context(viewport=DESKTOP, user=practitioner).new_page()
    page.goto(f"/patients/{patient.code}/sessions/new/")

    regions = page.get_by_role("group", name="Regions treated")
    body_map = regions.locator("[data-body-map]")
    expect(body_map).to_be_visible()
    map_box, list_box = body_map.bounding_box(), regions.locator(".region-row").first.bounding_box()
    assert map_box["x"] + map_box["width"] <= list_box["x"]  # side by side
    target(page, "Lower back").click()
    target(page, "Left hip / buttock").click()
    twin(page, "legs", "left").click()  # on the front figure
    expect(regions.get_by_role("checkbox", name="Lower back", exact=True)).to_be_checked()
    expect(page.get_by_label("Hips / buttocks: side treated")).to_have_value("left")
    expect(page.get_by_label("Legs: side treated")).to_have_value("left")
    regions.get_by_role("checkbox", name="Feet", exact=True).check()
    pressed(target(page, "Left foot"), target(page, "Right foot"))
    expect(body_map.locator(".map-target.is-chosen > path").first).to_have_css(
        "fill", "rgb(10, 88, 202)"
    )
    assert_accessible(page)
    shot(regions, "session-regions-desktop")

    page.get_by_label("Pain before treatment (0-10)").fill("6")
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(r"/sessions/[0-9a-f-]+/$"))
    session = TreatmentSession.objects.get()
    assert session.regions_treated == [
        {"region": "lower_back", "side": "both"},
        {"region": "hips", "side": "left"},
        {"region": "legs", "side": "left"},
        {"region": "feet", "side": "both"},
    ]
    shown = page.locator("#regions-treated li")
    expect(shown).to_have_text(
        ["Lower back", "Hips / buttocks (left)", "Legs (left)", "Feet (both sides)"]
    )
    assert_accessible(page)
    shot(page.locator("#regions-treated"), "session-note-desktop")

    # The chart draws where the intake said it hurts, without a script.
    page.goto(f"/patients/{patient.code}/")
    card = page.locator("#pain-map")
    expect(card.get_by_role("img")).to_be_visible()
    expect(card.locator(".pain-map-list li")).to_have_text(["Lower back 7/10", "Legs (left) 6/10"])
    assert_accessible(page)
    shot(card, "chart-pain-map-desktop")
