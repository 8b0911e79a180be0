"""A patient answers a check-in on a phone (issue 18): the questions in their own
words, a mistake fixed, a thank-you page, and the link closed afterwards. axe-core
checks every page they see."""

import re

import pytest
from playwright.sync_api import expect

from checkins.models import CheckIn
from checkins.services import checkin_create, checkin_link
from tests.browser.conftest import PHONE, assert_accessible
from tests.factories import IntakeFactory, PatientFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def fits_the_screen(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways ({width}px)"


def test_a_patient_answers_a_check_in_on_a_phone(open_context):
    patient = PatientFactory(first_name="Rosa")
    IntakeFactory(
        patient=patient,
        submitted=True,
        pain_types=["migraine"],
        psfs_activity_1="Working at my desk all morning",
        psfs_activity_2="",
        psfs_activity_3="Walking the dog",
    )
    check_in = checkin_create(patient, by=None, reason=CheckIn.Reason.SESSIONS)
    token = checkin_link(check_in)
    page = open_context(viewport=PHONE).new_page()

    page.goto(f"/check-in/{token}/")

    expect(page).to_have_title(re.compile("^How are you doing?"))
    expect(page.get_by_label("Working at my desk all morning")).to_be_visible()
    expect(page.get_by_label("Walking the dog")).to_be_visible()
    for jargon in ("NRS", "PSFS", "PGIC"):
        expect(page.get_by_text(jargon)).to_have_count(0)
    fits_the_screen(page)
    assert_accessible(page)

    page.get_by_label("How strong is your pain right now?").fill("4")
    page.get_by_label("How strong was your pain at its worst in the last 7 days?").fill("12")
    page.get_by_label("Working at my desk all morning").fill("6")
    page.get_by_label("Walking the dog").fill("8")
    page.get_by_label("On how many of the last 30 days did you have a headache?").fill("3")
    page.get_by_label("Much improved", exact=True).check()
    page.get_by_role("button", name="Send my answers").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please check this answer")
    expect(summary).to_contain_text("Please choose a number from 0 (no pain) to 10")
    expect(page.get_by_label("Walking the dog")).to_have_value("8")
    fits_the_screen(page)
    assert_accessible(page)

    page.get_by_label("How strong was your pain at its worst in the last 7 days?").fill("7")
    page.get_by_label(re.compile("doses of pain medicine")).fill("2")
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we have your answers")
    expect(page.get_by_text("Walking the dog")).to_have_count(0)
    fits_the_screen(page)
    assert_accessible(page)
    check_in.refresh_from_db()
    assert (check_in.pain_now, check_in.pain_worst, check_in.pgic) == (4, 7, 2)
    assert (check_in.psfs_score_1, check_in.psfs_score_3, check_in.headache_days) == (6, 8, 3)
    assert check_in.pain_medication_doses == 2

    page.goto(f"/check-in/{token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link doesn't work any more")
    assert_accessible(page)
