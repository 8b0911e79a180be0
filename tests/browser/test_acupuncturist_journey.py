"""Journey 3 (issue 7): an acupuncturist, in a real browser, from a submitted intake to
a plan whose cadence tapers as pain before treatment falls.

The acupuncturist logs in with a password and an authenticator code, reviews the
intake (its safety badges first), starts the plan, then logs and signs four weekly,
back-dated sessions through the session form: point codes typed with the
completion, a protocol applied, a pregnancy-caution point that must be
acknowledged. After each signature the plan page shows the rung the cadence policy
(docs/clinical-rules.md section 6) gives and the next visit due.
"""

import datetime
import re

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from intake.models import Intake
from plans.models import Plan
from sessions.models import TreatmentSession
from tests.browser.conftest import (
    DESKTOP,
    assert_accessible,
    totp_code,
    type_login,
)
from tests.factories import (
    TEST_PASSWORD,
    IntakeFactory,
    PatientFactory,
    PractitionerProfileFactory,
    ProtocolFactory,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ACKNOWLEDGEMENT = "I have read the safety warnings above and will take them into account."

# Baseline 8 (the intake's pain now). Pain before, a week apart, ending today:
#   5: 38% / 3 below baseline; one session in the window        -> stays weekly
#   4: 5 and 4 both meet fortnightly (>=30%, >=2)               -> taper to fortnightly
#   3: new window [3], one session                              -> stays fortnightly
#   2: 3 and 2 both meet monthly (>=50%, >=2)                   -> taper to monthly
# The next visit is due the session's date plus the rung's interval.
VISITS = [
    # (days ago, pain before, pain after, cadence after signing, interval in days, rule)
    (21, 5, 3, "weekly", 7, "stay"),
    (14, 4, 2, "fortnightly", 14, "taper"),
    (7, 3, 1, "fortnightly", 14, "stay"),
    (0, 2, 1, "monthly", 28, "taper"),
]


# What the points field holds before signing: typed with the completion, then the
# "Neck pain" protocol (GB20, BL10, SI3) merged in on sessions 1 and 3.
POINTS = {1: "GB20, LI4, BL10, SI3", 2: "GB20, SI3", 3: "GB20, BL10, SI3", 4: "GB20, SI3"}


def pick_point(field, typed, code, *, arrows=0, while_open=None):
    """Type the start of a point code and choose `code` from the completion list
    with the arrow keys and Enter; `while_open(page)` runs while the list shows."""
    page = field.page
    field.press_sequentially(typed)
    # "GB20 Fengchi", not "GB20 L Fengchi": a paired point is offered with each side too.
    option = page.get_by_role("option", name=re.compile(rf"^{code} [A-Z][a-z]"))
    expect(option).to_be_visible()
    expect(field).to_have_attribute("aria-controls", "id_points-suggestions")
    expect(page.get_by_role("status").filter(has_text="matching point")).to_be_attached()
    if while_open is not None:
        while_open(page)
    for _ in range(arrows):
        field.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    field.press("Enter")
    expect(page.get_by_role("listbox", name="Matching points")).to_be_hidden()


def test_acupuncturist_reviews_intake_plans_and_watches_the_cadence_taper(page_for):
    today = timezone.localdate()
    practitioner = PractitionerProfileFactory(
        user__username="needles", user__first_name="Mei", user__last_name="Lin"
    ).user
    device = TOTPDevice.objects.create(user=practitioner, name="Phone", confirmed=True)
    patient = PatientFactory(first_name="Rosa", last_name="Quinn", sex="female")
    IntakeFactory(
        patient=patient,
        submitted=True,
        pain_now=8,
        pain_worst=9,
        months_with_pain=12,
        pregnant="yes",
        pregnancy_weeks=20,
        anticoagulants="yes",
        # Submitted before the first (back-dated) session, so it gives the baseline.
        submitted_at=timezone.now() - datetime.timedelta(days=30),
    )
    ProtocolFactory(name="Neck pain", points="GB20, BL10, SI3", created_by=practitioner)

    page = page_for(viewport=DESKTOP)

    # --- Logging in: password, then the authenticator's code ----------------------
    type_login(page, "needles", TEST_PASSWORD)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code").fill(totp_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Hello, Mei")).to_be_visible()

    # --- The intake: found in the queue, badges seen, marked reviewed -------------
    expect(page.locator("#intakes-to-review")).to_have_text("1")
    page.get_by_role("link", name="Open intakes").click()
    page.get_by_role("link", name="Rosa Quinn").click()
    chart_url = f"/patients/{patient.code}/"
    expect(page).to_have_url(re.compile(rf"{re.escape(chart_url)}#intake$"))
    flags = page.get_by_role("list", name="Safety flags from the intake").first
    expect(flags.get_by_role("listitem")).to_have_text(["Pregnant (20 weeks)", "Bleeding risk"])
    intake_card = page.locator("#intake")
    expect(intake_card).to_have_attribute("data-intake-status", "submitted")
    assert_accessible(page)
    page.get_by_role("button", name="Mark intake reviewed").click()
    expect(page.get_by_role("status").filter(has_text="Intake marked reviewed.")).to_be_visible()
    expect(intake_card).to_have_attribute("data-intake-status", "reviewed")
    expect(intake_card).to_contain_text("reviewed")
    assert Intake.objects.get(patient=patient).reviewed_by == practitioner

    # --- The plan, started from the chart -------------------------------------------
    page.locator("#plan").get_by_role("link", name="Plan", exact=True).click()
    page.get_by_role("link", name="Start a plan").click()
    expect(page.get_by_role("heading", name="Start a treatment plan")).to_be_visible()
    expect(page.get_by_text("Baseline pain: 8/10")).to_be_visible()
    expect(page.get_by_label("Months with this pain")).to_have_value("12")
    page.get_by_label("Target pain (0-10)").fill("2")
    page.get_by_label("Neck pain").check()
    page.get_by_role("button", name="Start plan").click()
    expect(page.get_by_role("status").filter(has_text="Plan started.")).to_be_visible()
    summary = page.locator("section.plan-summary")
    expect(summary).to_have_attribute("data-cadence", "weekly")
    # No session yet: the first visit is due the day the plan starts.
    expect(summary).to_have_attribute("data-next-due", today.isoformat())
    plan_url = f"/patients/{patient.code}/plan/"

    # --- Four sessions, signed one after another -------------------------------------
    for number, (days_ago, before, after, rung, interval, rule) in enumerate(VISITS, start=1):
        date = today - datetime.timedelta(days=days_ago)
        page.goto(chart_url)
        page.get_by_role("link", name="Log a session").click()
        expect(page.get_by_role("heading", name="Log a session")).to_be_visible()
        # The bleeding-risk caution is on every form of this patient.
        expect(page.locator('[data-safety-rule="bleeding_risk"]')).to_contain_text("anticoagulants")

        page.get_by_label("Date").fill(date.isoformat())
        page.get_by_label("Pain before treatment (0-10)").fill(str(before))
        page.get_by_label("Pain after treatment (0-10)").fill(str(after))
        points = page.get_by_role("textbox", name="Points")
        if number == 1:
            page.get_by_label("Manual needling").check()
            page.get_by_label("Patient position").select_option("prone")
            page.get_by_label("Retention (minutes)").fill("20")
        else:
            # A follow-up starts as the last visit, points included: after the first
            # one LI4 comes back, with its warning, and is taken out.
            expect(points).to_have_value(POINTS[number - 1])
            expect(page.locator('[data-safety-rule="pregnancy_points"]')).to_have_count(
                1 if number == 2 else 0
            )
            expect(page.get_by_label("Manual needling")).to_be_checked()
            expect(page.get_by_label("Patient position")).to_have_value("prone")
            points.fill("")
        # GB2 is offered first (the exact code), then GB2 L and GB2 R; GB20 is three
        # arrows down.
        pick_point(
            points,
            "gb2",
            "GB20",
            arrows=3,
            while_open=assert_accessible if number == 1 else None,
        )
        if number == 1:
            pick_point(points, "li4", "LI4")
        elif number != 3:
            pick_point(points, "si3", "SI3")
        page.get_by_label("Needles inserted").fill("10")
        page.get_by_label("Needles removed").fill("10")
        if number in (1, 3):
            page.get_by_role("button", name="Neck pain").click()
            expect(
                page.get_by_role("status").filter(has_text="Added the points of “Neck pain”.")
            ).to_be_visible()
        expect(points).to_have_value(re.compile(rf"^{re.escape(POINTS[number])}(, )?$"))
        page.get_by_role("button", name="Save and sign").click()

        if number == 1:
            # LI4 in pregnancy: the form stops and asks, naming the point.
            warning = page.locator('[data-safety-rule="pregnancy_points"]')
            expect(warning).to_contain_text("Safety warning")
            expect(warning).to_contain_text("pregnant (20 weeks): LI4 is traditionally avoided")
            expect(page.locator("#error-summary")).to_contain_text("Tick to confirm")
            acknowledgement = page.get_by_label(ACKNOWLEDGEMENT)
            expect(acknowledgement).not_to_be_checked()
            assert not TreatmentSession.objects.filter(patient=patient).exists()
            assert_accessible(page)
            acknowledgement.check()
            page.get_by_role("button", name="Save and sign").click()

        expect(page.locator("[data-session-status]")).to_have_attribute(
            "data-session-status", "signed"
        )
        expect(page.get_by_role("status").filter(has_text="Note signed.")).to_be_visible()

        page.goto(plan_url)
        expect(summary).to_have_attribute("data-cadence", rung)
        expect(summary).to_have_attribute(
            "data-next-due", (date + datetime.timedelta(days=interval)).isoformat()
        )
        newest = page.locator("table.plan-steps tbody tr").first
        expect(newest).to_have_attribute("data-step-rule", rule)
        expect(newest).to_contain_text(f"{before}/10")

    # --- The history: the automatic changes, each with its numbers and its session --
    expect(page.locator("table.plan-steps tbody tr")).to_have_count(4)
    events = page.locator("ol.plan-events > li")
    expect(events).to_have_count(4)  # newest first
    for n, kind in enumerate(["cadence", "cadence", "baseline", "created"]):
        expect(events.nth(n)).to_have_attribute("data-event-kind", kind)
    second = today - datetime.timedelta(days=14)
    for event, change, needs, session_date in (
        (events.nth(0), "fortnightly → monthly", "monthly needs ≥50% and ≥2 points", today),
        (events.nth(1), "weekly → fortnightly", "fortnightly needs ≥30% and ≥2 points", second),
    ):
        expect(event).to_contain_text(f"Cadence changed: {change}")
        expect(event.get_by_text("automatic", exact=True)).to_be_visible()
        expect(event).to_contain_text(needs)
        expect(event).to_contain_text(f"session of {session_date.day} {session_date:%b %Y}")
    expect(events.nth(2)).to_contain_text("baseline from the intake's pain now")
    expect(page.locator("[data-last-change]")).to_contain_text("every 4 weeks")
    assert_accessible(page)

    signed = TreatmentSession.objects.filter(patient=patient).order_by("date")
    assert [(s.status, s.pain_before, s.points_text()) for s in signed] == [
        ("signed", before, POINTS[n]) for n, (_, before, *_) in enumerate(VISITS, start=1)
    ]
    plan = Plan.objects.get(patient=patient)
    assert (plan.cadence, plan.baseline_pain, plan.session_count) == ("monthly", 8, 4)
