"""A patient answers a check-in on a phone (issue 18): the questions in their own
words, a mistake fixed, a thank-you page, and the link closed afterwards. axe-core
checks every page they see. Then the acupuncturist, at a desk, finds the answers on
the patient's progress page."""

import datetime
import re

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from checkins.models import CheckIn
from checkins.services import checkin_create, checkin_link
from tests.browser.conftest import DESKTOP, PHONE, assert_accessible, totp_code, type_login
from tests.factories import (
    TEST_PASSWORD,
    IntakeFactory,
    PatientFactory,
    PractitionerProfileFactory,
    make_plan,
    sign_history,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def fits_the_screen(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways ({width}px)"


def rosa_with_a_check_in(**intake):
    """Rosa, whose submitted intake names migraine and two activities, with a
    check-in the plan sent after her sessions: (patient, check-in, link token)."""
    patient = PatientFactory(first_name="Rosa")
    IntakeFactory(
        patient=patient,
        submitted=True,
        pain_types=["migraine"],
        psfs_activity_1="Working at my desk all morning",
        psfs_activity_2="",
        psfs_activity_3="Walking the dog",
        **intake,
    )
    check_in = checkin_create(patient, by=None, reason=CheckIn.Reason.SESSIONS)
    return patient, check_in, checkin_link(check_in)


def fill_in_the_answers(page, *, pain_worst):
    """Rosa's answers, as she types them: pain now 4, her activities 6 and 8, 3
    headache days, much improved; `pain_worst` as given (12 is a slip)."""
    page.get_by_label("How strong is your pain right now?").fill("4")
    page.get_by_label("How strong was your pain at its worst in the last 7 days?").fill(pain_worst)
    page.get_by_label("Working at my desk all morning").fill("6")
    page.get_by_label("Walking the dog").fill("8")
    page.get_by_label("On how many of the last 30 days did you have a headache?").fill("3")
    page.get_by_label("Much improved", exact=True).check()


def test_a_patient_answers_a_check_in_on_a_phone(open_context):
    _, check_in, token = rosa_with_a_check_in()
    page = open_context(viewport=PHONE).new_page()

    page.goto(f"/check-in/{token}/")

    expect(page).to_have_title(re.compile("^How are you doing?"))
    expect(page.get_by_label("Working at my desk all morning")).to_be_visible()
    expect(page.get_by_label("Walking the dog")).to_be_visible()
    for jargon in ("NRS", "PSFS", "PGIC"):
        expect(page.get_by_text(jargon)).to_have_count(0)
    fits_the_screen(page)
    assert_accessible(page)

    fill_in_the_answers(page, pain_worst="12")
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


def test_the_acupuncturist_sees_the_phone_check_in_on_the_progress_page(open_context):
    practitioner = PractitionerProfileFactory(
        user__username="needles", user__first_name="Mei", user__last_name="Lin"
    ).user
    device = TOTPDevice.objects.create(user=practitioner, name="Phone", confirmed=True)
    patient, check_in, token = rosa_with_a_check_in(
        pain_now=8, submitted_at=timezone.now() - datetime.timedelta(days=30)
    )
    make_plan(patient, user=practitioner, months_with_pain=12)
    # Weekly sessions, the last a week ago: the check-in answered today is newer.
    sign_history(patient, user=practitioner, scores=[7, 6, 6])

    phone = open_context(viewport=PHONE).new_page()
    phone.goto(f"/check-in/{token}/")
    fill_in_the_answers(phone, pain_worst="7")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you, we have your answers")

    desk = open_context(viewport=DESKTOP).new_page()
    type_login(desk, "needles", TEST_PASSWORD)
    expect(desk.get_by_role("heading", name="Enter your code")).to_be_visible()
    desk.get_by_label("Code").fill(totp_code(device))
    desk.get_by_role("button", name="Continue").click()
    expect(desk.get_by_role("heading", name="Hello, Mei")).to_be_visible()
    desk.goto(f"/patients/{patient.code}/progress/")

    figures = desk.get_by_role("region", name="Key figures")
    expect(figures).to_have_attribute("data-current", "4")
    expect(figures).to_have_attribute("data-baseline", "8")
    expect(figures).to_contain_text("now 4/10, the pain now of a check-in")
    answered = desk.get_by_role("region", name="Check-ins answered")
    rows = answered.get_by_role("row")
    expect(rows).to_have_count(2)  # the header and Rosa's one check-in
    today = timezone.localdate()
    expect(rows.nth(1).get_by_role("cell")).to_have_text(
        [f"{today.day} {today:%b %Y}", "4/10", "7/10", "7.0", "–", "3", "Much improved"]
    )
    pain_chart = desk.get_by_role("img", name=re.compile("^Pain \\(0-10\\)"))
    marks = pain_chart.locator(".chart-check-in-mark")
    expect(marks).to_have_count(1)
    expect(marks.locator("title")).to_contain_text("check-in, pain now 4/10")
    assert_accessible(desk)
    check_in.refresh_from_db()
    assert check_in.pain_now == 4
