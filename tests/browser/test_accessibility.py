"""axe-core over the staff pages, as each role sees them, on a desktop and a phone.

No serious or critical violation is allowed anywhere. The patient's intake steps
are checked one by one in test_patient_intake.py, and the session form with its
completion list and safety warning in test_acupuncturist_journey.py; this file
covers every other staff page, with data on it and with errors shown where the
page has a form.
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from tests.browser.conftest import DESKTOP, PHONE, accessibility_violations, type_login
from tests.factories import (
    TEST_PASSWORD,
    AppointmentFactory,
    IntakeFactory,
    PatientFactory,
    PractitionerProfileFactory,
    ProtocolFactory,
    TreatmentSessionFactory,
    UserFactory,
    make_check_in,
    make_plan,
    sign_history,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


CHECK_IN_ANSWERS = {
    "pain_now": 4,
    "pain_worst": 6,
    "psfs_score_1": 7,
    "pain_medication_doses": 2,
    "headache_days": 3,
    "pgic": 2,
}


@pytest.fixture
def clinic():
    """A small clinic: a patient under treatment with safety answers that raise
    badges, a signed history, an answered check-in, a draft, a booked visit, and a
    second patient due."""
    desk = UserFactory(username="desk", role=roles.FRONT_DESK)
    needles = PractitionerProfileFactory(user__username="needles").user
    boss = UserFactory(username="boss", role=roles.CLINIC_ADMIN, is_staff=True)
    patient = PatientFactory(first_name="Mara", last_name="Quinn", created_by=desk)
    IntakeFactory(
        patient=patient,
        submitted=True,
        pregnant="yes",
        anticoagulants="yes",
        pain_types=["migraine"],
        submitted_at=timezone.now() - datetime.timedelta(days=30),
    )
    make_plan(patient, user=needles)
    signed = sign_history(patient, user=needles, scores=[7, 5, 5])
    # Answered since the last session: on the chart's check-in card, and on the
    # progress page's key figures, chart and table.
    make_check_in(patient, answers=CHECK_IN_ANSWERS)
    TreatmentSessionFactory(patient=patient, created_by=needles, points="GB20, LI4")
    AppointmentFactory(patient=patient, practitioner=needles)
    due = PatientFactory(first_name="Omar", last_name="Reyes", created_by=desk)
    IntakeFactory(patient=due)
    make_plan(due, user=needles)
    sign_history(due, user=needles, scores=[6], start=timezone.localdate() - datetime.timedelta(9))
    ProtocolFactory(name="Neck pain", created_by=needles)
    return {
        "front_desk": desk,
        "acupuncturist": needles,
        "clinic_admin": boss,
        "patient": patient.code,
        "session": signed[-1].code,
    }


def _pages(role, patient, session):
    chart = f"/patients/{patient}/"
    pages = {
        "front_desk": [
            "/",
            "/patients/?q=quinn",
            chart,
            f"{chart}edit/",
            f"{chart}plan/",
            "/plans/due/",
            "/intakes/",
        ],
        "acupuncturist": [
            "/",
            chart,
            f"{chart}plan/",
            f"{chart}sessions/new/",
            f"/sessions/{session}/",
            f"{chart}progress/",
            f"{chart}progress/?range=all",
            "/outcomes/",
            "/plans/due/",
            "/intakes/",
            "/protocols/",
        ],
        "clinic_admin": [
            "/",
            f"{chart}progress/",
            "/outcomes/",
            "/audit/",
            f"/audit/?patient={patient}",
            "/accounts/two-factor/",
        ],
    }
    return pages[role]


# Forms sent empty or wrong, so their error messages are on the page when axe runs:
# (role, path, button to press).
FORMS_WITH_ERRORS = [
    ("front_desk", "/patients/new/", "Register patient"),
    ("acupuncturist", "/patients/{patient}/sessions/new/", "Save and sign"),
    ("acupuncturist", "/protocols/new/", "Save protocol"),
]
# Filters read from the query string, wrong, so their messages are on the page.
FILTERS_WITH_ERRORS = [
    ("acupuncturist", "/outcomes/?date_from=2025-02-30&date_to=someday&pain_type=x"),
    ("clinic_admin", "/outcomes/?date_from=2025-03-01&date_to=2025-01-01"),
]


def _report(found):
    return "\n".join(
        f"{where}: {v['impact']} {v['id']} ({v['help']}) at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:4])
        for where, v in found
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("role", ["front_desk", "acupuncturist", "clinic_admin"])
def test_staff_pages_have_no_serious_violations(clinic, page_for, role, viewport):
    page = page_for(clinic[role], viewport=viewport)
    found = []
    for path in _pages(role, clinic["patient"], clinic["session"]):
        response = page.goto(path)
        assert response.status == 200, path
        found += [(path, v) for v in accessibility_violations(page)]
    for form_role, path, button in FORMS_WITH_ERRORS:
        if form_role != role:
            continue
        page.goto(path.format(patient=clinic["patient"]))
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.locator(".invalid-feedback").first).to_be_visible()
        found += [(f"{path} with errors", v) for v in accessibility_violations(page)]
    for filter_role, path in FILTERS_WITH_ERRORS:
        if filter_role != role:
            continue
        page.goto(path)
        expect(page.locator(".invalid-feedback").first).to_be_visible()
        found += [(f"{path} with errors", v) for v in accessibility_violations(page)]
    if role == "acupuncturist":
        # The chart's check-in card showing a new link, once, after it is made.
        page.goto(f"/patients/{clinic['patient']}/")
        page.get_by_role("button", name="Make a check-in link", exact=True).click()
        expect(page.get_by_label("Check-in link")).to_be_visible()
        found += [("chart with a new check-in link", v) for v in accessibility_violations(page)]
    assert not found, _report(found)


def test_login_two_factor_and_error_pages_have_no_serious_violations(clinic, page_for):
    page = page_for(viewport=PHONE)
    found = []
    page.goto("/accounts/login/")
    found += [("login", v) for v in accessibility_violations(page)]
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    found += [("login with errors", v) for v in accessibility_violations(page)]
    type_login(page, "boss", TEST_PASSWORD)
    # A clinic admin without an authenticator is sent to set one up.
    expect(page.get_by_label("Code from the app")).to_be_visible()
    found += [("two-factor setup", v) for v in accessibility_violations(page)]
    page.goto("/patients/00000000-0000-0000-0000-000000000000/")
    expect(page.get_by_label("Code from the app")).to_be_visible()
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor login").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    found += [("two-factor code wrong", v) for v in accessibility_violations(page)]

    desk = page_for(clinic["front_desk"], viewport=PHONE)
    assert desk.goto("/patients/00000000-0000-0000-0000-000000000000/").status == 404
    found += [("404", v) for v in accessibility_violations(desk)]
    assert desk.goto("/audit/").status == 403
    found += [("403", v) for v in accessibility_violations(desk)]
    assert not found, _report(found)
