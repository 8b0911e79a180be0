"""Every page works under the Content-Security-Policy and stays out of caches; the
production settings pass `manage.py check --deploy`; plain HTTP is redirected and
browsers are told to keep to HTTPS.

The page tests fetch each page of the app as the role that uses it and read the HTML
as a browser would: what the policy forbids (inline scripts and styles, event
handler attributes, javascript: URLs, resources from another site) must not be
there, or the page breaks in the browser while every other test still passes.
"""

import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEntry
from intake.models import Intake
from intake.services import patient_update
from tests.factories import (
    TEST_PASSWORD,
    AppointmentFactory,
    IntakeFactory,
    PatientFactory,
    ProtocolFactory,
    TreatmentSessionFactory,
    make_invitation,
    make_plan,
    sign_history,
)

pytestmark = pytest.mark.django_db

PROJECT_ROOT = Path(__file__).resolve().parents[2]
UNKNOWN_CODE = "00000000-0000-4000-8000-000000000000"


# --- The clinic the pages show --------------------------------------------------------


class Clinic:
    """What the pages show, each made on first use: a patient with an intake, a plan,
    signed and draft sessions and a booking; a self-registration waiting; intake
    links being filled in and submitted."""

    def __init__(self, users, patient, monkeypatch, settings):
        for role, user in users.items():
            setattr(self, role, user)
        self.patient = patient
        self.monkeypatch = monkeypatch
        self.settings = settings

    @cached_property
    def plan(self):
        IntakeFactory(patient=self.patient, submitted=True, pain_now=7)
        return make_plan(self.patient, user=self.acupuncturist)

    @cached_property
    def signed(self):
        self.plan  # noqa: B018 - the plan counts the session
        return sign_history(self.patient, user=self.acupuncturist, scores=[7, 6])[-1]

    @cached_property
    def draft(self):
        self.signed  # noqa: B018 - a follow-up visit, with an earlier note to show
        return TreatmentSessionFactory(
            patient=self.patient, created_by=self.acupuncturist, points="GB20 L, LI4"
        )

    @cached_property
    def chart(self):
        """The patient, with everything a chart can show."""
        self.draft  # noqa: B018
        AppointmentFactory(
            patient=self.patient, practitioner=self.acupuncturist, created_by=self.front_desk
        )
        return self.patient

    @cached_property
    def no_plan(self):
        return PatientFactory(created_by=self.front_desk)

    @cached_property
    def protocol(self):
        return ProtocolFactory(created_by=self.acupuncturist)

    @cached_property
    def pending(self):
        return IntakeFactory(patient=None, submitted=True, first_name="Sam", last_name="Rivera")

    @cached_property
    def filling_link(self):
        """A link being filled in, every step open."""
        patient = PatientFactory(created_by=self.front_desk)
        _invitation, _token, link = make_invitation(patient, created_by=self.front_desk)
        Client().get(link)  # opens the draft
        Intake.objects.filter(patient=patient).update(completed_steps=[1, 2, 3, 4, 5])
        return link

    @cached_property
    def done_link(self):
        """A link whose intake was submitted."""
        patient = PatientFactory(created_by=self.front_desk)
        invitation, _token, link = make_invitation(patient, created_by=self.front_desk)
        invitation.intake = IntakeFactory(patient=patient, submitted=True)
        invitation.save(update_fields=["intake"])
        return link


@pytest.fixture
def clinic(users, patient, monkeypatch, settings):
    return Clinic(users, patient, monkeypatch, settings)


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _password_login(user) -> Client:
    """Logged in with the password only: the two-factor step is still owed."""
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302, response.status_code
    return client


def _otp_verify(c):
    TOTPDevice.objects.create(user=c.acupuncturist, name="Phone", confirmed=True)
    return _password_login(c.acupuncturist).get("/accounts/two-factor/verify/")


def _otp_setup(c):
    return _password_login(c.clinic_admin).get("/accounts/two-factor/setup/")


def _locked_out(c):
    client = Client()
    for _attempt in range(c.settings.AXES_FAILURE_LIMIT + 1):
        response = client.post("/accounts/login/", {"username": "desk", "password": "wrong"})
    return response


def _rate_limited(c):
    c.settings.INTAKE_RATE_LIMIT = "1/m"
    client = Client()
    client.get("/intake/start/")
    return client.get("/intake/start/")


def _edit_conflict(c):
    desk = _as(c.front_desk)
    url = f"/patients/{c.patient.code}/edit/"
    form = desk.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    patient_update(patient=c.patient, data={"phone": "+14155550123"}, updated_by=c.clinic_admin)
    return desk.post(url, {**data, "email": "new@example.org"})


def _server_error(c):
    def broken(*args, **kwargs):
        raise RuntimeError("the worklist is broken")

    c.monkeypatch.setattr("clinic.views.worklist_counts", broken)
    client = _as(c.front_desk)
    client.raise_request_exception = False
    return client.get("/")


def _new_patient_with_errors(c):
    return _as(c.front_desk).post("/patients/new/", {"first_name": "", "phone": "not a phone"})


def _chart_with_new_link(c):
    return _as(c.front_desk).post(f"/patients/{c.chart.code}/intake-invitations/")


def _admin_login_entry(c):
    """The admin's page of an audit entry about no record (a login)."""
    client = _as(c.clinic_admin)
    entry = AuditEntry.objects.filter(event=AuditEntry.Event.LOGIN).latest("pk")
    return client.get(f"/admin/audit/auditentry/{entry.pk}/change/")


def _backup_codes(c):
    return _as(c.clinic_admin).post("/accounts/two-factor/backup-codes/")


@dataclass(frozen=True)
class Page:
    status: int
    fetch: Callable  # (clinic) -> response
    # The 500 page stands alone: it must render when nothing else works.
    loads_assets: bool = True


def _get(url: str, role: str | None = None, status: int = 200) -> Page:
    """GET `url` (formatted with the clinic's objects) as `role`, or anonymously."""

    def fetch(c):
        client = _as(getattr(c, role)) if role else Client()
        return client.get(url.format(c=c))

    return Page(status, fetch)


PAGES = {
    # Staff pages, each as the role that works with it.
    "dashboard, front desk": _get("/", "front_desk"),
    "dashboard, acupuncturist": _get("/", "acupuncturist"),
    "dashboard, clinic admin": _get("/", "clinic_admin"),
    "dashboard, no role": _get("/", "no_role"),
    "patient list": _get("/patients/?q=Doe", "front_desk"),
    "register a patient": _get("/patients/new/", "front_desk"),
    "register a patient, with errors": Page(200, _new_patient_with_errors),
    "chart, front desk": _get("/patients/{c.chart.code}/", "front_desk"),
    "chart, acupuncturist": _get("/patients/{c.chart.code}/", "acupuncturist"),
    "chart, clinic admin": _get("/patients/{c.chart.code}/", "clinic_admin"),
    "chart with a new intake link": Page(200, _chart_with_new_link),
    "edit demographics": _get("/patients/{c.chart.code}/edit/", "front_desk"),
    "edit demographics, conflict": Page(409, _edit_conflict),
    "archive a chart": _get("/patients/{c.chart.code}/archive/", "front_desk"),
    "intake queue": _get("/intakes/", "front_desk"),
    "registration review": _get("/intakes/{c.pending.code}/register/", "front_desk"),
    "session form": _get("/patients/{c.chart.code}/sessions/new/", "acupuncturist"),
    "session note, draft": _get("/sessions/{c.draft.code}/", "acupuncturist"),
    "session note, signed": _get("/sessions/{c.signed.code}/", "acupuncturist"),
    "session edit": _get("/sessions/{c.draft.code}/edit/", "acupuncturist"),
    "session discard": _get("/sessions/{c.draft.code}/discard/", "acupuncturist"),
    "protocols": _get("/protocols/", "acupuncturist"),
    "new protocol": _get("/protocols/new/", "acupuncturist"),
    "edit protocol": _get("/protocols/{c.protocol.code}/edit/", "acupuncturist"),
    "plan page, acupuncturist": _get("/patients/{c.chart.code}/plan/", "acupuncturist"),
    "plan page, front desk": _get("/patients/{c.chart.code}/plan/", "front_desk"),
    "plan page, no plan yet": _get("/patients/{c.no_plan.code}/plan/", "acupuncturist"),
    "new plan": _get("/patients/{c.no_plan.code}/plan/new/", "acupuncturist"),
    "plan history": _get("/plans/{c.plan.code}/", "acupuncturist"),
    "edit plan": _get("/plans/{c.plan.code}/edit/", "acupuncturist"),
    "end plan": _get("/plans/{c.plan.code}/close/", "acupuncturist"),
    "worklist": _get("/plans/due/?show=all", "front_desk"),
    "booking form": _get("/patients/{c.chart.code}/appointments/new/", "front_desk"),
    "audit trail": _get("/audit/", "clinic_admin"),
    "admin": _get("/admin/", "clinic_admin"),
    "admin, a patient": _get("/admin/intake/patient/{c.patient.pk}/change/", "clinic_admin"),
    "admin, audit entries": _get("/admin/audit/auditentry/", "clinic_admin"),
    "admin, a login's audit entry": Page(200, _admin_login_entry),
    # Accounts and two-factor login.
    "login": _get("/accounts/login/"),
    "login, locked out": Page(429, _locked_out),
    "change password": _get("/accounts/password/", "front_desk"),
    "two-factor settings": _get("/accounts/two-factor/", "clinic_admin"),
    "two-factor verify": Page(200, _otp_verify),
    "two-factor setup": Page(200, _otp_setup),
    "two-factor backup codes": Page(200, _backup_codes),
    # The patient's side.
    "intake start": _get("/intake/start/"),
    **{f"intake step {n}": _get(f"{{c.filling_link}}step/{n}/") for n in range(1, 7)},
    "intake thank-you": _get("{c.done_link}"),
    "intake bad link": _get("/intake/no-such-token/", status=404),
    "intake rate-limited": Page(429, _rate_limited),
    # Error pages.
    "403": _get("/audit/", "front_desk", status=403),
    "404": _get(f"/patients/{UNKNOWN_CODE}/", "front_desk", status=404),
    "404, anonymous": _get("/no-such-page/", status=404),
    "500": Page(500, _server_error, loads_assets=False),
}


def _fetch(clinic, name):
    page = PAGES[name]
    response = page.fetch(clinic)
    assert response.status_code == page.status, f"{name}: {response.status_code}"
    return response


# --- Reading the policy and the page -----------------------------------------------


def _policy(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [sources]}."""
    assert header, "no Content-Security-Policy header"
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


# Scripts of these types are data, never run, so the policy does not apply to them
# (what Django's json_script writes).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "data", "xlink:href"}


class _PolicyReader(HTMLParser):
    """What in a page a strict policy would block, and which files it loads."""

    def __init__(self, page: str, host: str):
        super().__init__(convert_charrefs=True)
        self.host = host
        self.blocked: list[str] = []
        self.assets: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        for name, value in attrs:
            value = (value or "").strip()
            if name == "style":
                self.blocked.append(f"<{tag} style={value!r}>")
            elif name.startswith("on"):
                self.blocked.append(f"<{tag} {name}=...> (event handler)")
            if value.lower().replace("\t", "").startswith("javascript:"):
                self.blocked.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and self._elsewhere(value):
                self.blocked.append(f"<{tag} {name}={value!r}> (another site)")
        if tag == "style":
            self.blocked.append("<style> block")
        if tag == "script":
            if named.get("src"):
                self.assets.append(named["src"])
            elif (named.get("type") or "").lower() not in DATA_SCRIPT_TYPES:
                self.blocked.append("inline <script>")
        if tag == "link" and "stylesheet" in (named.get("rel") or "").split():
            self.assets.append(named.get("href", ""))

    def _elsewhere(self, value: str) -> bool:
        for url in value.split(",") if "," in value else [value]:  # srcset lists several
            url = url.strip().split(" ")[0]
            if url.startswith("//") or url.lower().startswith(("http://", "https://")):
                if urlsplit(url if not url.startswith("//") else "http:" + url).netloc != self.host:
                    return True
        return False


def _read(response) -> _PolicyReader:
    return _PolicyReader(response.content.decode(), host="testserver")


# --- Every page under the policy ------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_the_page_sends_a_strict_policy_and_is_never_cached(clinic, name):
    response = _fetch(clinic, name)

    header = response.headers.get("Content-Security-Policy", "")
    policy = _policy(header)
    assert "'unsafe-inline'" not in header
    assert "'unsafe-eval'" not in header
    assert policy.get("default-src") == ["'self'"]
    assert policy.get("frame-ancestors") == ["'none'"]
    assert policy.get("object-src") == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert policy.get(directive, policy["default-src"]) == ["'self'"], directive
    assert "Content-Security-Policy-Report-Only" not in response.headers

    cache_control = {d.strip().split("=")[0] for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control
    assert "public" not in cache_control

    assert response.headers.get("Referrer-Policy") == "same-origin"
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin"


@pytest.mark.parametrize("name", PAGES)
def test_the_page_needs_nothing_the_policy_blocks(clinic, name):
    response = _fetch(clinic, name)
    assert response["Content-Type"].startswith("text/html")

    page = _read(response)

    assert page.blocked == []
    # What it does load comes from the app, and the app serves the static files.
    assert bool(page.assets) == PAGES[name].loads_assets
    for asset in page.assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        if asset.startswith("/static/"):
            assert Client().get(asset).status_code == 200, asset


def test_the_reader_catches_what_the_policy_blocks():
    """The page test can fail: each thing the policy blocks is seen."""
    page = """
      <div style="color: red"><button onclick="go()">x</button></div>
      <a href="javascript:go()">x</a><a href=" JavaScript:go()">x</a>
      <script>go()</script><style>p {}</style>
      <img src="https://cdn.example.com/x.png">
      <link rel="stylesheet" href="//cdn.example.com/a.css">
      <script src="http://cdn.example.com/a.js"></script>
      <svg><rect fill="#000" width="1" height="1"/></svg>
      <script id="d" type="application/json">{"a": 1}</script>
      <a href="http://testserver/intake/abc/">same site</a>
    """

    blocked = _PolicyReader(page, host="testserver").blocked

    assert len(blocked) == 9, blocked


# --- Static files stay cacheable --------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/static/vendor/bootstrap/bootstrap.min.css", "/static/js/app.js", "/static/css/app.css"],
)
def test_static_files_stay_cacheable(path):
    response = Client().get(path)

    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "no-store" not in cache_control
    assert "private" not in cache_control
    assert "max-age=" in cache_control
    assert int(cache_control.split("max-age=")[1].split(",")[0]) > 0


def test_hashed_static_files_are_cached_for_good(settings, tmp_path):
    """With production's manifest storage, a page links hashed files that never change."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.WHITENOISE_USE_FINDERS = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    client = Client()
    login = client.get("/accounts/login/")
    assets = _read(login).assets
    assert assets

    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert "immutable" in response["Cache-Control"], asset
        assert "no-store" not in response["Cache-Control"], asset
    assert "no-store" in login["Cache-Control"]


# --- manage.py check --deploy ---------------------------------------------------------


def _production_env(tmp_path, **overrides) -> dict[str, str]:
    """The environment of a production server: debug off, a strong key, real host
    names, HTTPS ended at a proxy; cookies, redirect and HSTS left to their defaults."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "AXES_", "SESSION_", "OTP_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="acuclinic.settings",
        DJANGO_ENV_FILE="",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="clinic.example.org",
        DJANGO_BEHIND_HTTPS_PROXY="1",
        SITE_URL="https://clinic.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
    )
    env.update(overrides)
    return env


def _check_deploy(env) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - a fixed command: this Python, this project's manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _check_deploy(_production_env(tmp_path))

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output
    assert ".W0" not in output
    assert "no issues" in output


@pytest.mark.parametrize(
    ("weakened", "warning"),
    [
        ({"DJANGO_SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"DJANGO_SECURE_COOKIES": "0"}, "security.W012"),
        ({"DJANGO_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SITE_URL": "http://127.0.0.1:8000"}, "messaging.W002"),
    ],
)
def test_check_deploy_warns_about_a_weakened_production_setting(tmp_path, weakened, warning):
    result = _check_deploy(_production_env(tmp_path, **weakened))

    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


# --- HTTPS ------------------------------------------------------------------------------


@pytest.fixture
def https_only(settings):
    """Production's HTTPS settings (the tests otherwise run with the redirect off)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    return settings


def test_plain_http_is_redirected_to_https(https_only):
    response = Client().get("/accounts/login/?next=/patients/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/?next=/patients/"


def test_the_health_check_answers_over_plain_http(https_only):
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"


def test_https_responses_tell_browsers_to_keep_to_https(https_only):
    response = Client().get("/accounts/login/", secure=True)

    assert response.status_code == 200
    hsts = [part.strip() for part in response["Strict-Transport-Security"].split(";")]
    assert hsts[0] == "max-age=31536000"
    assert "includeSubDomains" in hsts


def test_https_ended_at_the_proxy_counts_as_https(https_only, desk_client):
    response = desk_client.get("/patients/", headers={"x-forwarded-proto": "https"})

    assert response.status_code == 200
    assert "max-age=31536000" in response["Strict-Transport-Security"]


def test_a_request_the_proxy_received_over_plain_http_is_redirected(https_only):
    response = Client().get("/accounts/login/", headers={"x-forwarded-proto": "http"})

    assert response.status_code == 301
    assert "Strict-Transport-Security" not in response
