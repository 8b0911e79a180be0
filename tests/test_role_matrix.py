"""Who reaches which page: one table over every URL the staff use.

For each page and each kind of visitor: anonymous visitors are sent to the login
page; a role the page is not for gets 403 and nothing is written; a role it is for
gets the page (200) or, for a form sent, its answer (a redirect, or the form again).
A test checks that the table names every URL of the app, so a new page cannot be
left out. The patient's own pages (intake and check-in links) have their own
security tests (tests/intake/test_intake_links_security.py); the login and
two-factor pages, theirs (tests/accounts/).
"""

from dataclasses import dataclass

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import (
    AppointmentFactory,
    IntakeFactory,
    ProtocolFactory,
    TreatmentSessionFactory,
    make_plan,
)
from tests.payloads import pending_registration, treated_patient

pytestmark = pytest.mark.django_db

FD, AC, CA = "front_desk", "acupuncturist", "clinic_admin"
STAFF = (FD, AC, CA)
VISITORS = ("anonymous", FD, AC, CA, "no_role")


@dataclass(frozen=True)
class Page:
    name: str
    method: str  # "get" or "post"
    allowed: tuple[str, ...]
    # Which object of the world the URL's code is of (None: no code).
    of: str | None = None


PAGES = [
    # clinic/
    Page("clinic:dashboard", "get", (*STAFF, "no_role")),  # a new hire sees a welcome
    Page("clinic:patient_detail", "get", STAFF, of="patient"),
    Page("clinic:invitation_create", "post", (FD, CA), of="patient"),
    Page("clinic:audit_list", "get", (CA,)),
    # intake/
    Page("intake:patient_list", "get", STAFF),
    Page("intake:patient_create", "get", (FD, CA)),
    Page("intake:patient_create", "post", (FD, CA)),
    Page("intake:patient_update", "get", (FD, CA), of="patient"),
    Page("intake:patient_update", "post", (FD, CA), of="patient"),
    Page("intake:patient_archive", "get", (FD, CA), of="patient"),
    Page("intake:patient_restore", "post", (FD, CA), of="patient"),
    Page("intake:invitation_revoke", "post", (FD, CA), of="patient"),
    Page("intake:intake_queue", "get", STAFF),
    Page("intake:intake_review", "post", (AC,), of="intake"),
    Page("intake:registration", "get", (FD, CA), of="registration"),
    Page("intake:registration_discard", "post", (FD, CA), of="registration"),
    # messaging/
    Page("messaging:message_list", "get", (FD, CA)),
    # sessions/
    Page("treatment_sessions:session_create", "get", (AC,), of="patient"),
    Page("treatment_sessions:session_create", "post", (AC,), of="patient"),
    Page("treatment_sessions:session_detail", "get", (AC, CA), of="signed"),
    Page("treatment_sessions:session_edit", "get", (AC,), of="draft"),
    Page("treatment_sessions:session_sign", "post", (AC,), of="draft"),
    Page("treatment_sessions:addendum_create", "post", (AC,), of="signed"),
    Page("treatment_sessions:session_discard", "get", (AC,), of="draft"),
    Page("treatment_sessions:protocol_list", "get", (AC, CA)),
    Page("treatment_sessions:protocol_create", "get", (AC,)),
    Page("treatment_sessions:protocol_edit", "get", (AC,), of="protocol"),
    Page("treatment_sessions:point_list", "get", (AC, CA)),
    # plans/
    Page("plans:plan_detail", "get", STAFF, of="patient"),
    Page("plans:plan_create", "get", (AC,), of="fresh"),
    Page("plans:due_list", "get", STAFF),
    Page("plans:plan_history", "get", (AC, CA), of="plan"),
    Page("plans:plan_edit", "get", (AC,), of="plan"),
    Page("plans:plan_decide", "post", (AC,), of="plan"),
    Page("plans:plan_close", "get", (AC,), of="plan"),
    Page("scheduling:appointment_create", "get", (FD, CA), of="patient"),
    Page("scheduling:appointment_status", "post", (FD, CA), of="appointment"),
    Page("scheduling:appointment_ics", "get", STAFF, of="appointment"),
    Page("scheduling:schedule", "get", STAFF),
    Page("scheduling:schedule_book", "get", (FD, CA)),
    Page("scheduling:appointment_arrived", "post", (FD, CA), of="appointment"),
    Page("scheduling:appointment_cancel", "get", (FD, CA), of="appointment"),
    Page("scheduling:appointment_cancel", "post", (FD, CA), of="appointment"),
    # checkins/: every role makes and revokes a link; the answers are clinical.
    Page("checkins:checkin_create", "post", STAFF, of="patient"),
    Page("checkins:checkin_revoke", "post", STAFF, of="patient"),
    # progress/: never the front desk.
    Page("progress:progress", "get", (AC, CA), of="patient"),
    Page("progress:report_pdf", "get", (AC, CA), of="patient"),
    Page("progress:outcomes", "get", (AC, CA)),
    # interop/: exports of a record, never the front desk.
    Page("interop:patient_everything", "get", (AC, CA), of="patient"),
    Page("interop:sessions_csv", "get", (AC, CA), of="patient"),
]

# Not staff pages: the patient's link pages, the login and two-factor steps (any
# visitor), the health check, and the admin.
NOT_IN_THE_TABLE = {
    "intake:intake_start",
    "intake:intake_entry",
    "intake:intake_step",
    "checkins:checkin_entry",
    "clinic:healthz",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "otp_manage",
    "otp_verify",
    "otp_setup",
    "otp_backup_codes",
    "otp_turn_off",
}


def _url_names(resolver=None, namespace=None):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("admin/"):
                continue
            yield from _url_names(entry, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}:{entry.name}" if namespace else entry.name


def test_the_table_names_every_url_of_the_app():
    assert set(_url_names()) == {page.name for page in PAGES} | NOT_IN_THE_TABLE


# How to make the record a page is about (only that one is made for each page).
MAKE = {
    "patient": lambda ac: treated_patient(),
    "fresh": lambda ac: treated_patient(),  # no plan yet
    "intake": lambda ac: IntakeFactory(patient=treated_patient(), submitted=True),
    "registration": lambda ac: pending_registration(),
    "draft": lambda ac: TreatmentSessionFactory(patient=treated_patient(), created_by=ac),
    "signed": lambda ac: TreatmentSessionFactory(
        patient=treated_patient(), created_by=ac, signed=True
    ),
    "protocol": lambda ac: ProtocolFactory(),
    "plan": lambda ac: make_plan(treated_patient(), user=ac),
    "appointment": lambda ac: AppointmentFactory(patient=treated_patient(), practitioner=ac),
}


def _rows() -> dict:
    """Every row of the clinic's records (not the trail, which records the refusals)."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for label in ("intake", "treatment_sessions", "plans", "scheduling")
        for model in apps.get_app_config(label).get_models()
    }


@pytest.mark.parametrize("target", PAGES, ids=[f"{p.name}-{p.method}" for p in PAGES])
def test_each_visitor_reaches_exactly_the_pages_for_them(target, users, acupuncturist):
    about = MAKE[target.of](acupuncturist) if target.of else None
    url = reverse(target.name, kwargs={"code": about.code} if about else {})
    # A form sent empty comes back with its errors, or is refused as malformed (400).
    allowed_statuses = (200,) if target.method == "get" else (200, 302, 400)
    for visitor in VISITORS:
        client = Client()
        if visitor != "anonymous":
            client.force_login(users[visitor])
        refused = visitor not in target.allowed
        before = _rows() if refused else None

        response = getattr(client, target.method)(url)

        status = response.status_code
        if visitor == "anonymous":
            assert status == 302, visitor
            assert response["Location"].startswith(f"{reverse('login')}?next="), visitor
        elif refused:
            assert status == 403, (visitor, status)
        else:
            assert status in allowed_statuses, (visitor, status)
        if refused:
            assert _rows() == before, f"{visitor}'s refused request wrote something"
