"""Junk posted to every form (issue 6, "Bad input"): random text, huge strings, control
characters, HTML and script, out-of-range and wrong-type numbers, impossible dates,
several values for one field, missing fields, unknown choices and point codes.

Each form is posted from a valid baseline (so validation runs past the first field)
with one to three fields replaced. Whatever comes back:
- never a server error (the test client re-raises a view's exception, traceback and all);
- the script never comes back unescaped, on the answer or on the page it redirects to;
- a form that did not go through (no redirect) wrote nothing: every row of the clinic's
  tables, and the record being edited, are as they were.

Every example runs in a transaction that is rolled back, on objects of its own.
"""

import datetime
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from intake.forms import PatientForm
from intake.models import Patient
from intake.services import intake_open, intake_start
from plans.models import PlanDecision
from plans.services import plan_decide
from sessions.models import TreatmentSession
from tests.factories import (
    TEST_PASSWORD,
    AppointmentFactory,
    IntakeFactory,
    PatientFactory,
    ProtocolFactory,
    TreatmentSessionFactory,
    make_invitation,
    make_plan,
)
from tests.payloads import (
    PATIENT,
    STEP,
    iso,
    open_day,
    pending_registration,
    plan_form,
    save_steps,
    step_data,
    visit,
)
from tests.payloads import as_sent as _as_sent
from tests.payloads import treated_patient as _treated_patient

pytestmark = pytest.mark.django_db

# --- What is sent ----------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# Seen in a page (lower-cased), any of these is the payload come back unescaped.
RAW_MARKERS = (SCRIPT, "onerror=alert(1)>", "<svg/onload=alert(1)>")

MARKUP = [
    SCRIPT,
    IMG,
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "'><script>alert(1)</script>",
    "<svg/onload=alert(1)>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "javascript:alert(1)",
    "{{ request.user }}{% csrf_token %}",
    "%(num)d %s {0} {}",
    "'; DROP TABLE intake_patient; --",
]
CONTROL = [
    "\x00",
    "a\x00b",
    "\r\n",
    "\r",
    "\n\n\n",
    "\t",
    "\x1b[2J",
    "\x7f\x08\x0b\x0c\x1c",
    "\u202e",  # right-to-left override
    "\u200b\ufeff",
    "\u2028\u2029",
    "e\u0301",
    "\U0001f600",
]
NUMBERS = [
    "-1",
    "11",
    "31",
    "601",
    "1e309",
    "-1e309",
    str(10**30),
    "-" + str(10**30),
    "9223372036854775808",
    "2147483648",
    "9" * 5000,
    "NaN",
    "Infinity",
    "1.5",
    "7.0",
    "0x10",
    "1_0",
    " 7 ",
    "+7",
    "٣",  # an Arabic-Indic three
    "²",
    "５",  # a full-width five
]
WRONG_TYPES = [
    "abc",
    "",
    " ",
    "None",
    "null",
    "true",
    "[]",
    "{}",
    "2024-13-45",
    "2024-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "1900-01-01",
    "1899-12-31",
    "2199-12-31",
    "2200-01-01",
    "24:00",
    "23:59:60",
    "-1:00",
    "00:00",
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
    "0",
    "1 OR 1=1",
    "zzz",
    "lower_back_pain",
    "electroacupuncture",
    "prone",
    "override",
    "baseline",
    "discontinued",
    "add_row",
    "add_adverse_event",
    "back",
    "sign",
    "create",
    "attach",
]
POINT_CODES = [
    "GB20 L, ZZ99",
    "GB20 L, BL23, li4",
    "GB99",
    "GB20 X",
    "GB20 L R",
    ",,, ;;",
    "ST36, ST36, ST36",
    "ＧＢ２０",
    "GB-20 left; du 20",
    "GB20, " * 200,
    "BL1-BL67",
]
EMAILS = [
    '"<script>alert(1)</script>"@example.com',
    "a@b",
    "a@" + "ü" * 70 + ".com",
    "ä.ö@exämple.com",
    "a@[127.0.0.1]",
    "a@example.com\nBcc: b@example.com",
    "x" * 250 + "@example.com",
]
PHONES = [
    "+1 415 555 0142 ext. 99",
    "+999 1234",
    "0" * 30,
    "+" + "1" * 25,
    "٠٤١٥٥٥٥٠١٤٢",  # Arabic-Indic digits
    "tel:+14155550142",
    "+44 20 7946 0958",
    "415-555-0142\x00",
]
HUGE = [
    "x" * 100_000,
    SCRIPT * 4_000,
    "\x00" * 1_000,
    "é" * 50_000,
    "GB20, " * 20_000,
    "1" * 100_000,
]

random_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
nasty_value = st.one_of(
    *(
        st.sampled_from(kind)
        for kind in (MARKUP, CONTROL, NUMBERS, WRONG_TYPES, POINT_CODES, EMAILS, PHONES)
    ),
    st.sampled_from(HUGE),
    random_text,
    # A payload within ordinary looking text, so it survives a strip or a length check.
    st.tuples(random_text, st.sampled_from(MARKUP + CONTROL), random_text).map("".join),
)


def _looks_like(value) -> list[str]:
    """The junk most likely to get past the checks of a field that holds this value."""
    text = value[0] if isinstance(value, list) and value else value
    if not isinstance(text, str):
        return []
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return [v for v in WRONG_TYPES if "-" in v or v.isdigit()]
    if re.fullmatch(r"\d{1,2}:\d{2}", text):
        return ["24:00", "23:59:60", "-1:00", "00:00", "9:99", "12:00:00.000001"]
    if re.fullmatch(r"-?\d+", text):
        return NUMBERS
    if re.fullmatch(r"[0-9a-f-]{36}", text):
        return ["not-a-uuid", "00000000-0000-0000-0000-000000000000", str(uuid.uuid4()), "0"]
    if re.fullmatch(r"[a-z_]+", text):
        return [v for v in WRONG_TYPES if re.fullmatch(r"[a-z_]*", v)]
    if re.search(r"\b[A-Z]{2}\d", text):
        return POINT_CODES
    if "@" in text:
        return EMAILS
    if re.fullmatch(r"[\d\s()+-]{7,}", text):
        return PHONES
    return MARKUP


@st.composite
def junk_for(draw, baseline: dict, names: list[str]) -> dict:
    """The baseline with one to three of `names` replaced, repeated or left out."""
    post = dict(baseline)
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
        likely = _looks_like(baseline.get(name))
        value = st.one_of(nasty_value, st.sampled_from(likely)) if likely else nasty_value
        how = draw(st.sampled_from(["value", "value", "value", "values", "missing"]))
        if how == "missing":
            post.pop(name, None)
        elif how == "values":
            post[name] = draw(st.lists(value, min_size=2, max_size=4))
        else:
            post[name] = draw(value)
    return post


# --- What comes back -------------------------------------------------------------------


class _Injected(HTMLParser):
    """Elements the payloads would have made had they been reflected as markup."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on") and "alert(1)" in (value or ""):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and ("src", "x") in attrs:
            self.found.append("<img src=x>")
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(1)" in data:
            self.found.append(f"<script>{data[:80]}")


DOWNLOAD_TYPES = {"application/fhir+json", "text/csv", "application/pdf", "text/calendar"}


def assert_safe(response) -> None:
    """No server error, and no payload come back as markup."""
    assert response.status_code < 500, response.status_code
    content_type = response.get("Content-Type", "")
    if response.status_code == 200 and not content_type.startswith("text/html"):
        # A download (the FHIR record's JSON, a CSV, a PDF) holds the text as stored:
        # it is never read as a page, because it says what it is and the browser is
        # told not to guess otherwise.
        assert content_type.split(";")[0] in DOWNLOAD_TYPES, content_type
        assert response["X-Content-Type-Options"] == "nosniff"
        return
    page = response.content.decode("utf-8", "replace")
    lowered = page.lower()
    for marker in RAW_MARKERS:
        if marker in lowered:
            at = lowered.index(marker)
            pytest.fail(f"unescaped {marker!r} in the page: …{page[max(at - 200, 0) : at + 80]}…")
    injected = _Injected(page).found
    assert not injected, injected


def _clinic_rows() -> dict[str, int]:
    """How many rows each of the clinic's tables holds."""
    return {
        model._meta.label: model._default_manager.count()
        for label in ("intake", "treatment_sessions", "plans")
        for model in apps.get_app_config(label).get_models()
    }


def _row(obj) -> dict | None:
    if obj is None:
        return None
    return type(obj)._default_manager.filter(pk=obj.pk).values().first()


# --- The clinic's objects, made fresh for each example ---------------------------------


# --- The forms -----------------------------------------------------------------------


@dataclass
class Target:
    url: str
    data: dict
    # The record the form changes, compared whole when the form does not go through.
    record: object = None
    # Field names to send junk in besides the baseline's (empty for a bare POST).
    extra: tuple[str, ...] = ()
    method: str = "post"


@dataclass(frozen=True)
class Form:
    name: str
    who: str | None  # the user fixture that posts; None: nobody signed in
    make: Callable[[dict, Client], Target]
    examples: int = 12
    # What the valid baseline gets: a redirect (saved), or a page (shown again, or the
    # result shown in place).
    answer: str = "redirect"
    # A form that saves and answers with a page rather than a redirect.
    writes_without_redirect: bool = False
    extra: tuple[str, ...] = field(default=("unexpected_field",))


def _login(staff, client) -> Target:
    return Target(
        "/accounts/login/", {"username": "desk", "password": TEST_PASSWORD}, extra=("next",)
    )


def _password_change(staff, client) -> Target:
    new = "a-new-long-passphrase-42"
    return Target(
        "/accounts/password/",
        {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new},
        record=staff["front_desk"],
    )


def _patient_create(staff, client) -> Target:
    return Target("/patients/new/", dict(PATIENT), extra=("confirm_duplicate",))


def _patient_create_duplicate(staff, client) -> Target:
    """Registering a second Ada Quill, born the same day, after "Register anyway"."""
    PatientFactory(first_name="Ada", last_name="Quill", date_of_birth=datetime.date(1980, 4, 25))
    form = PatientForm(PATIENT)
    assert form.is_valid(), form.errors
    return Target("/patients/new/", {**PATIENT, "confirm_duplicate": form.duplicate_key()})


def _patient_edit(staff, client) -> Target:
    patient = PatientFactory()
    url = f"/patients/{patient.code}/edit/"
    return Target(url, {**_as_sent(client, url), **PATIENT}, record=patient)


def _patient_archive(staff, client) -> Target:
    patient = PatientFactory()
    return Target(f"/patients/{patient.code}/archive/", {"reason": "Moved away"}, record=patient)


def _patient_restore(staff, client) -> Target:
    patient = PatientFactory(status=Patient.Status.ARCHIVED, archived_at=timezone.now())
    return Target(f"/patients/{patient.code}/restore/", {}, extra=("reason",))


def _invitation_create(staff, client) -> Target:
    patient = PatientFactory()
    return Target(f"/patients/{patient.code}/intake-invitations/", {"send_email": "on"})


def _invitation_revoke(staff, client) -> Target:
    patient = PatientFactory()
    make_invitation(patient, created_by=staff["front_desk"])
    return Target(f"/patients/{patient.code}/intake-invitations/revoke/", {})


def _intake_review(staff, client) -> Target:
    intake = IntakeFactory(submitted=True)
    return Target(f"/intakes/{intake.code}/review/", {}, record=intake)


def _registration_create(staff, client) -> Target:
    intake = pending_registration()
    return Target(
        f"/intakes/{intake.code}/register/",
        {"action": "create", **PATIENT},
        record=intake,
        extra=("confirm_duplicate", "patient"),
    )


def _registration_attach(staff, client) -> Target:
    intake = pending_registration()
    chart = PatientFactory(first_name="Ada", last_name="Quill")
    return Target(
        f"/intakes/{intake.code}/register/",
        {"action": "attach", "patient": str(chart.code)},
        record=intake,
    )


def _registration_discard(staff, client) -> Target:
    intake = pending_registration()
    return Target(f"/intakes/{intake.code}/discard/", {"reason": "A test"})


def _intake_start(staff, client) -> Target:
    return Target("/intake/start/", {}, extra=("action", "first_name"))


def _intake_step(step: int, *, self_registered: bool = False):
    def make(staff, client) -> Target:
        if self_registered:
            invitation, token = intake_start()
        else:
            invitation, token, _path = make_invitation(
                PatientFactory(), created_by=staff["front_desk"]
            )
        intake = intake_open(invitation=invitation)
        save_steps(intake, range(1, min(step, 6)))
        return Target(
            f"/intake/{token}/step/{step}/",
            step_data(step, self_registered=self_registered),
            record=intake,
            extra=("action",)
            + (("medications-2-name", "medications-0-DELETE") if step == 4 else ()),
        )

    return make


def _session_new(staff, client) -> Target:
    patient = _treated_patient()
    protocol = ProtocolFactory(points="GB21, LI4 R")
    return Target(
        f"/patients/{patient.code}/sessions/new/",
        visit(),
        extra=("apply_protocol", "form_token", "adverse_events-1-kind"),
        record=protocol,  # nothing changes a protocol from here
    )


def _session_protocol_applied(staff, client) -> Target:
    """ "Add the protocol's points": the form comes back with them, nothing saved yet."""
    patient = _treated_patient()
    protocol = ProtocolFactory(points="GB21, LI4 R")
    return Target(
        f"/patients/{patient.code}/sessions/new/",
        {**visit(), "apply_protocol": str(protocol.code)},
        record=protocol,
    )


def _session_edit(staff, client) -> Target:
    session = TreatmentSessionFactory(
        patient=_treated_patient(), created_by=staff["acupuncturist"], points="GB20"
    )
    url = f"/sessions/{session.code}/edit/"
    return Target(url, {**_as_sent(client, url), **visit()}, record=session)


def _session_sign(staff, client) -> Target:
    session = TreatmentSessionFactory(
        patient=_treated_patient(), created_by=staff["acupuncturist"], points="GB20"
    )
    return Target(f"/sessions/{session.code}/sign/", {}, extra=("action",))


def _addendum(staff, client) -> Target:
    session = TreatmentSessionFactory(
        patient=_treated_patient(), created_by=staff["acupuncturist"], signed=True
    )
    return Target(f"/sessions/{session.code}/addenda/", {"text": "Also needled ST36."})


def _session_discard(staff, client) -> Target:
    session = TreatmentSessionFactory(patient=_treated_patient(), created_by=staff["acupuncturist"])
    return Target(
        f"/sessions/{session.code}/discard/", {"reason": "Wrong patient's chart"}, record=session
    )


PROTOCOL = {
    "name": "Neck tension",
    "description": "For tension-type headache.",
    "is_active": "on",
    "points": "GB20, GB21 L, LI4",
}


def _protocol_new(staff, client) -> Target:
    return Target("/protocols/new/", dict(PROTOCOL))


def _protocol_edit(staff, client) -> Target:
    protocol = ProtocolFactory()
    url = f"/protocols/{protocol.code}/edit/"
    return Target(url, {**_as_sent(client, url), **PROTOCOL}, record=protocol)


def _plan_new(staff, client) -> Target:
    patient = _treated_patient()
    ProtocolFactory()
    return Target(
        f"/patients/{patient.code}/plan/new/",
        plan_form(staff["acupuncturist"]),
        extra=("protocols", "referrals"),
    )


def _plan_edit(staff, client) -> Target:
    plan = make_plan(_treated_patient(), user=staff["acupuncturist"], months_with_pain=6)
    url = f"/plans/{plan.code}/edit/"
    changes = plan_form(staff["acupuncturist"], reason="Goals agreed again")
    return Target(url, {**_as_sent(client, url), **changes}, record=plan)


def _plan_decision(kind: str, **fields):
    def make(staff, client) -> Target:
        plan = make_plan(_treated_patient(), user=staff["acupuncturist"], months_with_pain=6)
        data = {"kind": kind, f"{kind}-kind": kind, f"{kind}-reason": "Agreed with the patient"}
        data.update({f"{kind}-{name}": value for name, value in fields.items()})
        if kind == PlanDecision.Kind.RELEASE:
            plan_decide(plan=plan, kind="hold", reason="Away", user=staff["acupuncturist"])
        return Target(
            f"/plans/{plan.code}/decisions/",
            data,
            record=plan,
            extra=(f"{kind}-rung", f"{kind}-baseline_pain", "hold-reason"),
        )

    return make


def _plan_close(staff, client) -> Target:
    plan = make_plan(_treated_patient(), user=staff["acupuncturist"], months_with_pain=6)
    return Target(
        f"/plans/{plan.code}/close/", {"status": "discontinued", "reason": "Moved"}, record=plan
    )


def _appointment_book(staff, client) -> Target:
    patient = PatientFactory()
    return Target(
        f"/patients/{patient.code}/appointments/new/",
        {
            "date": open_day(2).isoformat(),
            "time": "10:30",
            "practitioner": str(staff["acupuncturist"].pk),
            "length_minutes": "45",
        },
    )


def _appointment_status(staff, client) -> Target:
    appointment = AppointmentFactory(practitioner=staff["acupuncturist"])
    return Target(
        f"/appointments/{appointment.code}/status/",
        {"status": "cancelled", "reason": "Unwell"},
        record=appointment,
    )


def _audit_filter(staff, client) -> Target:
    PatientFactory(created_by=staff["front_desk"])
    return Target(
        "/audit/",
        {"event": "create", "date_from": iso(-30), "date_to": iso(0), "page": "1"},
        method="get",
        extra=("patient", "user"),
    )


def _patient_list(staff, client) -> Target:
    PatientFactory(first_name="Ada", last_name="Quill")
    return Target("/patients/", {"q": "Quill", "status": "all", "page": "1"}, method="get")


def _intake_queue(staff, client) -> Target:
    IntakeFactory(submitted=True)
    pending_registration()
    return Target("/intakes/", {"page": "1", "rpage": "1"}, method="get")


def _worklist(staff, client) -> Target:
    make_plan(_treated_patient(), user=staff["acupuncturist"], months_with_pain=6)
    return Target(
        "/plans/due/",
        {"practitioner": str(staff["acupuncturist"].pk), "show": "all", "page": "1"},
        method="get",
    )


def _chart_sessions_page(staff, client) -> Target:
    session = TreatmentSessionFactory(
        patient=_treated_patient(), created_by=staff["acupuncturist"], signed=True
    )
    return Target(f"/patients/{session.patient.code}/", {"sessions_page": "1"}, method="get")


def _registration_search(staff, client) -> Target:
    intake = pending_registration()
    PatientFactory(last_name="Quill")
    return Target(f"/intakes/{intake.code}/register/", {"q": "Quill"}, method="get")


def _booking_page(staff, client) -> Target:
    patient = PatientFactory()
    return Target(f"/patients/{patient.code}/appointments/new/", {"from": "worklist"}, method="get")


def _login_page(staff, client) -> Target:
    return Target("/accounts/login/", {"next": "/patients/"}, method="get")


# Examples per form: enough for every run to try each kind of junk somewhere, the
# whole file within about a minute; FUZZ_SCALE searches harder on demand.
FORMS = [
    Form("login", None, _login, examples=15),
    Form("password change", "front_desk", _password_change),
    Form("patient register", "front_desk", _patient_create, examples=20),
    Form("patient register, duplicate confirmed", "front_desk", _patient_create_duplicate),
    Form("patient edit", "front_desk", _patient_edit),
    Form("patient archive", "front_desk", _patient_archive),
    Form("patient restore", "front_desk", _patient_restore, examples=6),
    Form(
        "intake link",
        "front_desk",
        _invitation_create,
        examples=6,
        answer="page",
        writes_without_redirect=True,
    ),
    Form("intake link revoke", "front_desk", _invitation_revoke, examples=6),
    Form("intake review", "acupuncturist", _intake_review, examples=6),
    Form("self-registration register", "front_desk", _registration_create),
    Form("self-registration attach", "front_desk", _registration_attach),
    Form("self-registration discard", "front_desk", _registration_discard, examples=8),
    Form("intake start", None, _intake_start, examples=6),
    Form("intake step 1, self-registration", None, _intake_step(1, self_registered=True)),
    *(Form(f"intake step {n}", None, _intake_step(n)) for n in range(1, 7)),
    Form("session new", "acupuncturist", _session_new, examples=20),
    Form("session protocol", "acupuncturist", _session_protocol_applied, 8, answer="page"),
    Form("session edit", "acupuncturist", _session_edit),
    Form("session sign", "acupuncturist", _session_sign, examples=6),
    Form("session addendum", "acupuncturist", _addendum, examples=8),
    Form("session discard", "acupuncturist", _session_discard, examples=8),
    Form("protocol new", "acupuncturist", _protocol_new),
    Form("protocol edit", "acupuncturist", _protocol_edit, examples=8),
    Form("plan new", "acupuncturist", _plan_new, examples=15),
    Form("plan edit", "acupuncturist", _plan_edit),
    Form("plan override", "acupuncturist", _plan_decision("override", rung="monthly")),
    Form("plan hold", "acupuncturist", _plan_decision("hold"), examples=8),
    Form("plan release", "acupuncturist", _plan_decision("release"), examples=8),
    Form("plan baseline", "acupuncturist", _plan_decision("baseline", baseline_pain="5")),
    Form("plan close", "acupuncturist", _plan_close, examples=8),
    Form("appointment book", "front_desk", _appointment_book, examples=15),
    Form("appointment status", "front_desk", _appointment_status, examples=8),
    # The GET filters.
    Form("?q patients", "front_desk", _patient_list, answer="page"),
    Form("?page intakes", "front_desk", _intake_queue, examples=8, answer="page"),
    Form("?show worklist", "front_desk", _worklist, answer="page"),
    Form("?sessions_page chart", "acupuncturist", _chart_sessions_page, 8, answer="page"),
    Form("?q registration", "front_desk", _registration_search, examples=8, answer="page"),
    Form("?from booking", "front_desk", _booking_page, examples=6, answer="page"),
    Form("?next login", None, _login_page, examples=8, answer="page"),
    Form("?date audit", "clinic_admin", _audit_filter, examples=12, answer="page"),
]


@pytest.fixture
def staff(front_desk, acupuncturist, clinic_admin):
    return {"front_desk": front_desk, "acupuncturist": acupuncturist, "clinic_admin": clinic_admin}


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # Hundreds of posts to the patient's pages from one address: the limits have
    # their own tests.
    settings.INTAKE_RATE_LIMIT = "100000/m"
    settings.INTAKE_START_RATE_LIMIT = "100000/m"


def _client(staff, who) -> Client:
    client = Client(raise_request_exception=True)
    if who is not None:
        client.force_login(staff[who])
    return client


def _send(client, target: Target, data: dict):
    send = client.post if target.method == "post" else client.get
    return send(target.url, data, follow=True)


# FUZZ_SCALE=10 runs ten times the examples, to search harder than every test run does.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_the_valid_baseline_goes_through(form, staff):
    """The junk replaces values that pass: check they do."""
    client = _client(staff, form.who)
    target = form.make(staff, client)
    response = _send(client, target, target.data)
    assert_safe(response)
    if form.answer == "redirect":
        assert response.redirect_chain, response.content.decode()[:3000]
    else:
        assert response.status_code == 200
        assert not response.redirect_chain, response.redirect_chain
    assert b"invalid-feedback" not in response.content


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_junk_in_any_field_is_refused_or_kept_escaped_never_a_server_error(form, staff):
    @settings(
        max_examples=max(1, int(form.examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def send_junk(data):
        with transaction.atomic():
            client = _client(staff, form.who)
            target = form.make(staff, client)
            names = sorted({*target.data, *target.extra, *form.extra})
            sent = data.draw(junk_for(target.data, names), label="sent")
            rows, record = _clinic_rows(), _row(target.record)

            response = _send(client, target, sent)

            assert_safe(response)
            went_through = response.redirect_chain or form.writes_without_redirect
            if target.method == "get" or not went_through:
                assert _clinic_rows() == rows, "a refused form wrote rows"
                assert _row(target.record) == record, "a refused form changed the record"
            transaction.set_rollback(True)

    send_junk()


# The values most likely to break a field's own checks, sent in every field at once:
# each field is cleaned on its own, so one request tries them all.
EVERY_FIELD = [
    "\x00",
    # Dates at the calendar's limits, in every date field and filter.
    "9999-12-31",
    "0001-01-01",
    str(2**63),
    SCRIPT,
    IMG,
    "x" * 5_000,
    ["GB20 L, ZZ99", SCRIPT],
]


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_one_junk_value_in_every_field_at_once(form, staff):
    for value in EVERY_FIELD:
        with transaction.atomic():
            client = _client(staff, form.who)
            target = form.make(staff, client)
            names = {*target.data, *target.extra, *form.extra}
            sent = {**target.data, **dict.fromkeys(names, value)}
            rows, record = _clinic_rows(), _row(target.record)

            response = _send(client, target, sent)

            assert_safe(response)
            went_through = response.redirect_chain or form.writes_without_redirect
            if target.method == "get" or not went_through:
                assert _clinic_rows() == rows, (repr(value)[:40], "a refused form wrote rows")
                assert _row(target.record) == record, repr(value)[:40]
            transaction.set_rollback(True)


# --- A link's token is junk too ---------------------------------------------------------


@settings(
    max_examples=max(1, int(40 * SCALE)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(token=nasty_value, step=st.sampled_from(["", "step/1/", "step/4/", "step/6/"]))
def test_a_junk_intake_link_is_not_found_never_a_server_error(token, step, db):
    assume(token.strip("/.") != "start")  # the self-registration page, a real one
    url = f"/intake/{quote(token, safe='')}/{step}"
    client = Client(raise_request_exception=True)
    for response in (client.get(url), client.post(url, STEP[1])):
        assert_safe(response)
        assert response.status_code in (301, 302, 404, 405), (url[:200], response.status_code)


# --- Stored, then read back on every page ----------------------------------------------

STORED = SCRIPT + IMG  # 55 characters: fits every free-text field, names included


def _sent(client, url: str, data: dict):
    """POST that must go through (so the payload is stored), checked on the way."""
    response = client.post(url, data, follow=True)
    assert_safe(response)
    assert response.redirect_chain, (url, response.content.decode()[:3000])
    return response


def _texts(data: dict, names) -> dict:
    return {**data, **dict.fromkeys(names, STORED)}


def _fill_intake_with_payloads(client, path: str, *, self_registered: bool) -> None:
    payloads = {
        1: ["preferred_name", "address", "emergency_contact_name"]
        + ["emergency_contact_relationship"]
        + (["first_name", "last_name"] if self_registered else []),
        2: ["pain_notes"],
        3: ["psfs_activity_1", "psfs_activity_2"],
        4: ["medications-0-name", "medications-0-dose", "medications-1-frequency"],
        5: ["health_notes", "previous_acupuncture_notes", "goals"],
        6: ["signature_name"],
    }
    for step, names in payloads.items():
        data = _texts(step_data(step, self_registered=self_registered), names)
        _sent(client, f"{path}step/{step}/", data)
    thanks = client.get(path)
    assert_safe(thanks)
    assert b"Thank you" in thanks.content


def _crawl(client, start: str = "/", limit: int = 150) -> set[str]:
    """Every page of the site reachable by links from `start`, each checked."""
    seen, queue = set(), [start]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert_safe(response)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for href in re.findall(r'href="(/[^"#]*)', response.content.decode()):
            href = href.replace("&amp;", "&")
            if not href.startswith(("/static/", "/admin/", "/accounts/logout")):
                queue.append(href)
    return seen


def test_payloads_stored_through_every_form_come_back_escaped_on_every_page(
    front_desk, acupuncturist
):
    desk = _client({"front_desk": front_desk}, "front_desk")
    needles = _client({"acupuncturist": acupuncturist}, "acupuncturist")
    patient_page = Client(raise_request_exception=True)
    names = ["first_name", "last_name", "preferred_name", "address"]
    names += ["emergency_contact_name", "emergency_contact_relationship"]

    # The front desk registers a patient, who fills the intake in from a link.
    response = _sent(desk, "/patients/new/", _texts(PATIENT, names))
    patient = Patient.objects.get(code=response.redirect_chain[-1][0].split("/")[2])
    _invitation, _token, path = make_invitation(patient, created_by=front_desk)
    _fill_intake_with_payloads(patient_page, path, self_registered=False)
    # A new patient registers themselves and waits for the front desk.
    response = patient_page.post("/intake/start/", follow=True)
    _fill_intake_with_payloads(
        patient_page, response.redirect_chain[-1][0].removesuffix("step/1/"), self_registered=True
    )
    # A chart archived and a visit cancelled, each with a reason.
    archived = PatientFactory()
    _sent(desk, f"/patients/{archived.code}/archive/", {"reason": STORED})
    _sent(
        desk,
        f"/patients/{patient.code}/appointments/new/",
        {
            "date": open_day(2).isoformat(),
            "time": "10:30",
            "practitioner": str(acupuncturist.pk),
            "length_minutes": "45",
        },
    )
    cancelled = AppointmentFactory(patient=patient, practitioner=acupuncturist)
    _sent(
        desk, f"/appointments/{cancelled.code}/status/", {"status": "cancelled", "reason": STORED}
    )

    # The acupuncturist: a protocol, sessions, an addendum, a plan and its decisions.
    _sent(needles, "/protocols/new/", _texts(PROTOCOL, ["name", "description"]))
    notes = ["subjective", "objective", "range_of_motion", "assessment", "plan_notes"]
    note = _texts(visit(), notes)
    note["adverse_events-0-action_taken"] = note["adverse_events-0-notes"] = STORED
    new_session = f"/patients/{patient.code}/sessions/new/"
    _sent(needles, new_session, {**note, "date": iso(-14), "action": "sign"})
    signed = TreatmentSession.objects.get(patient=patient, status="signed")
    _sent(needles, f"/sessions/{signed.code}/addenda/", {"text": STORED})
    _sent(needles, new_session, {**note, "date": iso(-7), "needles_removed": "11"})
    draft = TreatmentSession.objects.filter(patient=patient, status="draft").get()
    discarded = TreatmentSessionFactory(patient=patient, created_by=acupuncturist)
    _sent(needles, f"/sessions/{discarded.code}/discard/", {"reason": STORED})

    plan_texts = ["functional_goals", "pain_pattern", "advice_notes", "referral_notes"]
    _sent(needles, f"/patients/{patient.code}/plan/new/", _texts(plan_form(acupuncturist), []))
    first = patient.plans.get()
    _sent(needles, f"/plans/{first.code}/close/", {"status": "discontinued", "reason": STORED})
    plan_details = _texts(plan_form(acupuncturist), plan_texts)
    _sent(needles, f"/patients/{patient.code}/plan/new/", plan_details)
    plan = patient.plans.get(status="active")
    edit = f"/plans/{plan.code}/edit/"
    _sent(needles, edit, {**_as_sent(needles, edit), **plan_details, "reason": STORED})
    for kind, extra in (("override", {"rung": "monthly"}), ("hold", {})):
        data = {"kind": kind, f"{kind}-kind": kind, f"{kind}-reason": STORED}
        data.update({f"{kind}-{k}": v for k, v in extra.items()})
        _sent(needles, f"/plans/{plan.code}/decisions/", data)

    # Every page each of them can reach, and those no link leads to from there.
    searched = f"/patients/?status=all&q={quote(STORED)}"
    for client, also in (
        (desk, [f"/patients/{archived.code}/", searched, f"/patients/{patient.code}/edit/"]),
        (needles, [f"/sessions/{discarded.code}/", f"/sessions/{draft.code}/edit/", searched]),
    ):
        seen = _crawl(client)
        for url in also:
            assert_safe(client.get(url))
        assert f"/patients/{patient.code}/" in seen
    chart = needles.get(f"/patients/{patient.code}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in chart  # shown, and shown escaped


# --- Bugs these tests found (fixed), kept as plain regressions ----------------------------


@pytest.mark.parametrize(("page", "name"), [("new", "protocols"), ("edit", "referrals")])
def test_a_plan_ticking_an_id_beyond_64_bits_is_refused_not_a_server_error(
    page, name, acupuncturist
):
    # Was a 500 on SQLite: the checkboxes' ids went to a pk__in query, and SQLite
    # raised OverflowError (Django checks an exact lookup's range, not an IN list's).
    client = _client({"acupuncturist": acupuncturist}, "acupuncturist")
    patient = _treated_patient()
    url = f"/patients/{patient.code}/plan/new/"
    if page == "edit":
        plan = make_plan(patient, user=acupuncturist, months_with_pain=6)
        url = f"/plans/{plan.code}/edit/"
    data = plan_form(acupuncturist, reason="Checked", **{name: [str(2**63)]})
    if page == "edit":
        data = {**_as_sent(client, url), **data}
    rows = _clinic_rows()

    response = client.post(url, data)

    assert response.status_code == 200
    assert name in response.context["form"].errors
    assert _clinic_rows() == rows


@pytest.mark.parametrize("length", [256, 5_000])
def test_a_username_too_long_for_the_lockout_records_is_refused_not_a_server_error(length):
    # Was a 500 on PostgreSQL: Django's login form never checks the username's
    # length, so a failed login sent it to django-axes' varchar(255) records.
    client = Client(raise_request_exception=True)

    response = client.post("/accounts/login/", {"username": "x" * length, "password": "guess"})

    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.parametrize("page", ["intake link", "login"])
@pytest.mark.parametrize("address", ["203.0.113.7:4711", "[2001:db8::1]:443", "unknown"])
def test_a_proxy_address_header_that_is_not_a_bare_address_is_not_a_server_error(
    page, address, front_desk, settings
):
    # Was a 500 on every intake page (django-ratelimit masks the address) and, on
    # PostgreSQL, on every login (django-axes stores it in an inet column).
    settings.CLIENT_IP_META_KEY = "HTTP_X_REAL_IP"
    client = Client(raise_request_exception=True, HTTP_X_REAL_IP=address)
    if page == "login":
        response = client.post("/accounts/login/", {"username": "desk", "password": "guess"})
    else:
        _invitation, _token, path = make_invitation(PatientFactory(), created_by=front_desk)
        response = client.get(path, follow=True)

    assert response.status_code == 200
