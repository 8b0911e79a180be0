"""Login protection: lockout after failed logins, session timeouts, two-factor login.

The login itself is under test here, so users log in by posting to the login page
(and then to the two-factor page), not with client.force_login; force_login is used
only for the clinic admin who unlocks an account and similar bystanders.
"""

import base64
import re
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import middleware
from accounts.middleware import LOGIN_AT, SEEN_AT
from accounts.models import BackupCode, BackupCodeDevice
from audit.models import AuditEntry
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

# The contract's URLs, spelled out: moving one of them breaks the demo and the browser tests.
LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"
PASSWORD_CHANGE = "/accounts/password/"
OTP_VERIFY = "/accounts/two-factor/verify/"
OTP_SETUP = "/accounts/two-factor/setup/"
OTP_MANAGE = "/accounts/two-factor/"
OTP_OFF = "/accounts/two-factor/off/"
OTP_BACKUP_CODES = "/accounts/two-factor/backup-codes/"
PATIENTS = "/patients/"
ADMIN = "/admin/"
ACCESS_ATTEMPTS = "/admin/axes/accessattempt/"

# docs/reference.md: the demo users' authenticator secret and password (demo data only).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"
DEMO_PASSWORD = "acuclinic-demo"

OFFICE_IP = "192.0.2.10"
OTHER_IP = "198.51.100.7"
WRONG_PASSWORD = "not-the-password"
NEW_PASSWORD = "mulberry-lantern-47-quietly"


def log_in(client, username, password=TEST_PASSWORD, *, ip=OFFICE_IP, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra}, REMOTE_ADDR=ip)


def fail_logins(client, username, times, *, ip=OFFICE_IP):
    return [log_in(client, username, WRONG_PASSWORD, ip=ip).status_code for _ in range(times)]


def is_logged_in(client) -> bool:
    return SESSION_KEY in client.session


def code_from_key(key: bytes, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows now for this key (30 s steps, 6 digits)."""
    return f"{totp(key, drift=steps_ahead):06d}"


def code_for(device, *, steps_ahead: int = 0) -> str:
    drift = device.drift + steps_ahead
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}"


def wrong_code_for(device) -> str:
    """A 6-digit code that none of the accepted time steps would produce."""
    accepted = {code_for(device, steps_ahead=n) for n in range(-2, 3)}
    return next(
        candidate
        for candidate in (f"{n:06d}" for n in range(123456, 123556))
        if candidate not in accepted
    )


def text(response) -> str:
    return response.content.decode()


def redirects_to(response, path) -> bool:
    return response.status_code == 302 and response["Location"].split("?")[0] == path


def app_device(user):
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


@pytest.fixture
def desk_with_app(front_desk):
    """A front desk user who turned on two-factor login (optional for the role)."""
    app_device(front_desk)
    return front_desk


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


# --- Lockout -------------------------------------------------------------------------------


def test_fifth_wrong_password_shows_the_lockout_page(client, front_desk):
    statuses = fail_logins(client, "desk", 5)

    assert statuses == [200, 200, 200, 200, 429]
    response = log_in(client, "desk", WRONG_PASSWORD)
    assert response.status_code == 429
    page = text(response)
    assert "data-locked-out" in page
    assert "15 minutes" in page  # how long
    assert "clinic admin" in page  # whom to ask
    assert AuditEntry.objects.filter(event="locked_out", username="desk").exists()


def test_lockout_length_follows_the_cooloff_setting(client, front_desk, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=45)
    fail_logins(client, "desk", 5)

    response = log_in(client, "desk", WRONG_PASSWORD)

    assert response.status_code == 429
    assert "45 minutes" in text(response)


def test_locked_out_user_is_refused_even_with_the_right_password(client, front_desk):
    fail_logins(client, "desk", 5)

    response = log_in(client, "desk", TEST_PASSWORD)

    assert response.status_code == 429
    assert "data-locked-out" in text(response)
    assert not is_logged_in(client)


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(client, front_desk):
    fail_logins(client, "desk", 5)

    response = log_in(client, "desk", TEST_PASSWORD, HTTP_X_FORWARDED_FOR=OTHER_IP)

    assert response.status_code == 429
    assert not is_logged_in(client)


def test_lockout_does_not_reach_the_same_username_from_another_address(client, front_desk):
    fail_logins(client, "desk", 5, ip=OFFICE_IP)

    response = log_in(client, "desk", TEST_PASSWORD, ip=OTHER_IP)

    assert response.status_code == 302
    assert is_logged_in(client)


def test_lockout_does_not_reach_another_username_from_the_same_address(
    client, front_desk, acupuncturist
):
    fail_logins(client, "desk", 5, ip=OFFICE_IP)

    response = log_in(client, "needles", TEST_PASSWORD, ip=OFFICE_IP)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(acupuncturist.pk)


def test_a_successful_login_resets_the_failure_count(client, front_desk):
    assert fail_logins(client, "desk", 4) == [200] * 4
    assert log_in(client, "desk").status_code == 302
    client.post(LOGOUT)

    assert fail_logins(client, "desk", 4) == [200] * 4
    assert log_in(client, "desk").status_code == 302


def test_superuser_unlocks_an_account_in_the_admin(client, front_desk, superuser):
    fail_logins(client, "desk", 5)
    admin = Client()
    admin.force_login(superuser)  # verified: conftest passes the two-factor step
    attempt = AccessAttempt.objects.get(username="desk")

    listing = admin.get(ACCESS_ATTEMPTS)
    assert listing.status_code == 200
    assert "desk" in text(listing)
    response = admin.post(f"{ACCESS_ATTEMPTS}{attempt.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="desk").exists()
    assert log_in(client, "desk").status_code == 302
    assert is_logged_in(client)


def test_clinic_admin_unlocks_an_account_in_the_admin(client, front_desk, clinic_admin):
    fail_logins(client, "desk", 5)
    admin = Client()
    admin.force_login(clinic_admin)
    attempt = AccessAttempt.objects.get(username="desk")

    assert admin.get(ACCESS_ATTEMPTS).status_code == 200
    response = admin.post(f"{ACCESS_ATTEMPTS}{attempt.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert log_in(client, "desk").status_code == 302


def test_axes_reset_command_unlocks_the_account(client, front_desk):
    fail_logins(client, "desk", 5)
    assert log_in(client, "desk").status_code == 429

    call_command("axes_reset_username", "desk", stdout=None)

    assert log_in(client, "desk").status_code == 302
    assert is_logged_in(client)


def test_lockout_ends_after_the_cooloff_time(client, front_desk):
    fail_logins(client, "desk", 5)
    AccessAttempt.objects.filter(username="desk").update(
        attempt_time=timezone.now() - timedelta(minutes=16)
    )

    assert log_in(client, "desk").status_code == 302


# --- Idle and absolute timeouts -----------------------------------------------------------


def backdate(client, *, seen_minutes_ago=None, login_hours_ago=None):
    session = client.session
    now = time.time()
    if seen_minutes_ago is not None:
        session[SEEN_AT] = now - seen_minutes_ago * 60
    if login_hours_ago is not None:
        session[LOGIN_AT] = now - login_hours_ago * 3600
    session.save()


@pytest.fixture
def desk_logged_in(client, front_desk):
    assert log_in(client, "desk").status_code == 302
    return client


@pytest.mark.parametrize(
    "clocks", [{"seen_minutes_ago": 31}, {"seen_minutes_ago": 1, "login_hours_ago": 12.1}]
)
def test_timeout_with_the_configured_middleware_redirects_to_login(front_desk, clocks):
    client = Client(raise_request_exception=False)
    log_in(client, "desk")
    backdate(client, **clocks)

    response = client.get(PATIENTS)

    assert redirects_to(response, LOGIN)


@pytest.mark.parametrize(
    "clocks", [{"seen_minutes_ago": 31}, {"seen_minutes_ago": 1, "login_hours_ago": 12.1}]
)
def test_timeout_with_the_configured_middleware_still_ends_the_session(front_desk, clocks):
    # Even with the error page above, the timed-out session is over.
    client = Client(raise_request_exception=False)
    log_in(client, "desk")
    backdate(client, **clocks)

    client.get(PATIENTS)

    assert not is_logged_in(client)
    assert redirects_to(client.get(PATIENTS), LOGIN)


def test_a_request_29_minutes_after_the_last_keeps_the_session(desk_logged_in):
    client = desk_logged_in
    backdate(client, seen_minutes_ago=29)

    response = client.get(PATIENTS)

    assert response.status_code == 200
    assert is_logged_in(client)
    # The request counts as activity: the idle clock starts again.
    assert time.time() - client.session[SEEN_AT] < 5


def test_a_request_31_minutes_after_the_last_logs_out_with_a_message(desk_logged_in):
    client = desk_logged_in
    backdate(client, seen_minutes_ago=31)

    response = client.get(PATIENTS)

    assert redirects_to(response, LOGIN)
    assert not is_logged_in(client)
    login_page = client.get(response["Location"])
    assert login_page.status_code == 200
    assert "logged out after 30 minutes without activity" in text(login_page)


def test_the_idle_clock_starts_at_login(client, front_desk):
    log_in(client, "desk")
    backdate(client, seen_minutes_ago=31, login_hours_ago=0.52)

    assert redirects_to(client.get("/"), LOGIN)


@pytest.mark.parametrize(
    ("idle_minutes", "quiet_minutes", "kept"),
    [(10, 9, True), (10, 11, False), (60, 31, True), (60, 61, False)],
)
def test_session_idle_minutes_setting_sets_the_idle_timeout(
    desk_logged_in, settings, idle_minutes, quiet_minutes, kept
):
    settings.SESSION_IDLE_MINUTES = idle_minutes
    client = desk_logged_in
    backdate(client, seen_minutes_ago=quiet_minutes)

    response = client.get(PATIENTS)

    assert (response.status_code == 200) is kept
    assert is_logged_in(client) is kept
    if not kept:
        page = text(client.get(response["Location"]))
        assert f"logged out after {idle_minutes} minutes without activity" in page


class Clock:
    """The middleware's clock, moved on by hand."""

    def __init__(self):
        self.now = time.time()

    def time(self):
        return self.now


def test_every_session_ends_12_hours_after_login_even_when_active(desk_logged_in, monkeypatch):
    client = desk_logged_in
    clock = Clock()
    monkeypatch.setattr(middleware, "time", clock)
    login_at = client.session[LOGIN_AT]

    # Busy all day: a request every 20 minutes, never idle.
    while clock.now + 20 * 60 - login_at <= 12 * 3600:
        clock.now += 20 * 60
        assert client.get(PATIENTS).status_code == 200, (clock.now - login_at) / 3600
    clock.now = login_at + 12 * 3600 + 60
    response = client.get(PATIENTS)

    assert redirects_to(response, LOGIN)
    assert not is_logged_in(client)
    assert "every session ends 12 hours after logging in" in text(client.get(response["Location"]))


def test_session_max_hours_setting_sets_the_absolute_timeout(desk_logged_in, settings):
    settings.SESSION_MAX_HOURS = 8
    client = desk_logged_in
    backdate(client, seen_minutes_ago=1, login_hours_ago=7.9)
    assert client.get(PATIENTS).status_code == 200

    backdate(client, seen_minutes_ago=1, login_hours_ago=8.1)
    response = client.get(PATIENTS)

    assert redirects_to(response, LOGIN)
    assert "every session ends 8 hours after logging in" in text(client.get(response["Location"]))


def test_logging_in_again_after_a_timeout_starts_a_fresh_session(desk_logged_in):
    client = desk_logged_in
    backdate(client, seen_minutes_ago=45)
    assert redirects_to(client.get(PATIENTS), LOGIN)

    assert log_in(client, "desk").status_code == 302
    assert client.get(PATIENTS).status_code == 200


# --- Two-factor login ---------------------------------------------------------------------


def test_front_desk_without_a_device_logs_in_with_the_password_alone(client, front_desk):
    response = log_in(client, "desk")

    assert redirects_to(response, "/")
    assert client.get(PATIENTS).status_code == 200


def test_user_with_a_device_is_asked_for_the_code(client, desk_with_app):
    response = log_in(client, "desk", next=PATIENTS)
    assert redirects_to(response, PATIENTS)

    response = client.get(PATIENTS)

    assert redirects_to(response, OTP_VERIFY)
    assert response["Location"] == f"{OTP_VERIFY}?next={PATIENTS}"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'name="otp_token"' in text(page)


@pytest.mark.parametrize("path", ["/", PATIENTS, "/plans/due/", "/audit/", ADMIN])
def test_user_owing_a_code_reaches_no_page_but_the_code_page(client, desk_with_app, path):
    log_in(client, "desk")

    response = client.get(path)

    assert redirects_to(response, OTP_VERIFY)


def test_right_code_opens_the_app_and_returns_to_the_asked_page(client, desk_with_app):
    log_in(client, "desk")

    response = client.post(
        OTP_VERIFY, {"otp_token": code_for(desk_with_app.totpdevice_set.get()), "next": PATIENTS}
    )

    assert redirects_to(response, PATIENTS)
    assert client.get(PATIENTS).status_code == 200
    assert client.get("/").status_code == 200


def test_code_typed_with_spaces_is_accepted(client, desk_with_app):
    log_in(client, "desk")
    code = code_for(desk_with_app.totpdevice_set.get())

    response = client.post(OTP_VERIFY, {"otp_token": f" {code[:3]} {code[3:]} "})

    assert redirects_to(response, "/")


def test_wrong_code_shows_the_error_next_to_the_field_and_stays_unverified(client, desk_with_app):
    log_in(client, "desk")
    device = desk_with_app.totpdevice_set.get()

    response = client.post(OTP_VERIFY, {"otp_token": wrong_code_for(device)})

    assert response.status_code == 200
    page = text(response)
    field = re.search(r'<input[^>]*name="otp_token"[^>]*>', page).group(0)
    assert "is-invalid" in field
    assert 'aria-describedby="otp-error"' in field
    assert re.search(r'class="invalid-feedback" id="otp-error">That code did not work', page)
    assert redirects_to(client.get(PATIENTS), OTP_VERIFY)
    assert AuditEntry.objects.filter(event="otp_failed", username="desk").exists()


def test_empty_code_is_a_field_error(client, desk_with_app):
    log_in(client, "desk")

    response = client.post(OTP_VERIFY, {"otp_token": ""})

    assert response.status_code == 200
    assert "Enter the 6-digit code" in text(response)
    assert redirects_to(client.get(PATIENTS), OTP_VERIFY)


def test_after_several_wrong_codes_even_the_right_one_waits(client, desk_with_app):
    log_in(client, "desk")
    device = desk_with_app.totpdevice_set.get()
    for _ in range(5):
        client.post(OTP_VERIFY, {"otp_token": wrong_code_for(device)})

    # 5 failures: django-otp waits 16 s before it checks another code.
    response = client.post(OTP_VERIFY, {"otp_token": code_for(device)})
    assert response.status_code == 200
    assert redirects_to(client.get(PATIENTS), OTP_VERIFY)

    device.refresh_from_db()
    device.throttling_failure_timestamp = timezone.now() - timedelta(minutes=5)
    device.save()
    assert redirects_to(client.post(OTP_VERIFY, {"otp_token": code_for(device)}), "/")


def test_anonymous_visitor_on_the_code_page_is_sent_to_login(client):
    response = client.get(OTP_VERIFY)

    assert redirects_to(response, LOGIN)


def test_unverified_session_cannot_set_up_a_new_device_to_skip_the_code(client, desk_with_app):
    log_in(client, "desk")

    response = client.get(OTP_SETUP)

    assert redirects_to(response, OTP_VERIFY)
    assert TOTPDevice.objects.filter(user=desk_with_app).count() == 1
    assert redirects_to(client.get(PATIENTS), OTP_VERIFY)


def test_unverified_session_cannot_make_new_backup_codes(client, desk_with_app):
    log_in(client, "desk")

    response = client.post(OTP_BACKUP_CODES)

    assert redirects_to(response, OTP_VERIFY)
    assert not BackupCodeDevice.objects.filter(user=desk_with_app).exists()


def test_unverified_session_cannot_change_the_password(client, desk_with_app):
    log_in(client, "desk")

    response = change_password(client)

    desk_with_app.refresh_from_db()
    assert desk_with_app.check_password(TEST_PASSWORD)
    assert redirects_to(response, OTP_VERIFY)


def setup_page_key(response) -> bytes:
    """The key the setup page shows for typing into an authenticator app."""
    shown = re.search(r"data-otp-secret>([A-Z2-7 ]+)<", text(response)).group(1)
    return base64.b32decode(shown.replace(" ", ""))


def backup_codes_on(response) -> list[str]:
    block = re.search(r"<ul[^>]*data-backup-codes[^>]*>(.*?)</ul>", text(response), re.S)
    return re.findall(r"<li>\s*([^<\s]+)\s*</li>", block.group(1))


def test_clinic_admin_without_a_device_is_sent_to_set_one_up(client, clinic_admin):
    response = log_in(client, "boss")

    assert redirects_to(response, "/")
    assert redirects_to(client.get("/"), OTP_SETUP)


@pytest.mark.parametrize("path", ["/", PATIENTS, "/audit/", ADMIN, f"{ADMIN}acuclinic/user/"])
def test_clinic_admin_reaches_no_page_until_two_factor_is_set_up(client, clinic_admin, path):
    log_in(client, "boss")

    assert redirects_to(client.get(path), OTP_SETUP)


def test_setup_with_the_right_code_confirms_the_device_and_shows_10_backup_codes(
    client, clinic_admin
):
    log_in(client, "boss")
    setup_page = client.get(f"{OTP_SETUP}?next={PATIENTS}")
    assert setup_page.status_code == 200
    key = setup_page_key(setup_page)

    response = client.post(OTP_SETUP, {"otp_token": code_from_key(key), "next": PATIENTS})

    assert response.status_code == 200
    codes = backup_codes_on(response)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    device = TOTPDevice.objects.get(user=clinic_admin)
    assert device.confirmed
    assert device.bin_key == key
    assert BackupCode.objects.filter(device__user=clinic_admin).count() == 10
    assert client.get(PATIENTS).status_code == 200
    assert client.get(ADMIN).status_code == 200


def test_setup_with_a_wrong_code_confirms_nothing(client, clinic_admin):
    log_in(client, "boss")
    client.get(OTP_SETUP)
    device = TOTPDevice.objects.get(user=clinic_admin)

    response = client.post(OTP_SETUP, {"otp_token": wrong_code_for(device)})

    assert response.status_code == 200
    assert "invalid-feedback" in text(response)
    device.refresh_from_db()
    assert not device.confirmed
    assert redirects_to(client.get(PATIENTS), OTP_SETUP)


def test_reloading_the_setup_page_keeps_the_same_key(client, clinic_admin):
    log_in(client, "boss")

    first = setup_page_key(client.get(OTP_SETUP))
    second = setup_page_key(client.get(OTP_SETUP))

    assert first == second
    assert TOTPDevice.objects.filter(user=clinic_admin).count() == 1


def test_after_setup_the_next_login_asks_for_the_code(client, clinic_admin):
    log_in(client, "boss")
    key = setup_page_key(client.get(OTP_SETUP))
    setup_code = code_from_key(key)
    client.post(OTP_SETUP, {"otp_token": setup_code})
    client.post(LOGOUT)

    log_in(client, "boss")

    assert redirects_to(client.get(PATIENTS), OTP_VERIFY)
    # The code already used at setup cannot be replayed; the app's next one works.
    assert client.post(OTP_VERIFY, {"otp_token": setup_code}).status_code == 200
    TOTPDevice.objects.filter(user=clinic_admin).update(throttling_failure_count=0)
    next_code = code_from_key(key, steps_ahead=1)
    assert redirects_to(client.post(OTP_VERIFY, {"otp_token": next_code}), "/")


def test_a_backup_code_works_once_only(client, clinic_admin):
    log_in(client, "boss")
    key = setup_page_key(client.get(OTP_SETUP))
    codes = backup_codes_on(client.post(OTP_SETUP, {"otp_token": code_from_key(key)}))
    client.post(LOGOUT)

    log_in(client, "boss")
    assert redirects_to(client.post(OTP_VERIFY, {"otp_token": codes[0]}), "/")
    assert client.get(PATIENTS).status_code == 200
    assert BackupCode.objects.filter(device__user=clinic_admin).count() == 9
    client.post(LOGOUT)

    log_in(client, "boss")
    response = client.post(OTP_VERIFY, {"otp_token": codes[0]})

    assert response.status_code == 200
    assert "That code did not work" in text(response)
    assert redirects_to(client.get(PATIENTS), OTP_VERIFY)


def test_admin_site_needs_a_verified_session_from_staff(client, front_desk):
    # Made staff while already logged in with the password alone.
    log_in(client, "desk")
    front_desk.is_staff = True
    front_desk.save()

    assert client.get(PATIENTS).status_code == 200
    assert redirects_to(client.get(ADMIN), OTP_SETUP)


def test_staff_user_logging_in_must_set_up_two_factor_before_the_admin(client):
    UserFactory(username="helper", is_staff=True)

    log_in(client, "helper")

    assert redirects_to(client.get(ADMIN), OTP_SETUP)


def test_optional_user_turns_two_factor_off_from_a_verified_session(client, desk_with_app):
    log_in(client, "desk")
    client.post(OTP_VERIFY, {"otp_token": code_for(desk_with_app.totpdevice_set.get())})

    response = client.post(OTP_OFF)

    assert redirects_to(response, OTP_MANAGE)
    assert not TOTPDevice.objects.filter(user=desk_with_app).exists()
    assert 'data-two-factor="off"' in text(client.get(OTP_MANAGE))
    client.post(LOGOUT)
    log_in(client, "desk")
    assert client.get(PATIENTS).status_code == 200


def test_two_factor_cannot_be_turned_off_from_an_unverified_session(client, desk_with_app):
    log_in(client, "desk")

    response = client.post(OTP_OFF)

    assert redirects_to(response, OTP_VERIFY)
    assert TOTPDevice.objects.filter(user=desk_with_app).exists()
    assert redirects_to(client.get(PATIENTS), OTP_VERIFY)


def test_clinic_admin_cannot_turn_two_factor_off(client, clinic_admin):
    client.force_login(clinic_admin)  # verified: conftest passes the two-factor step
    assert client.get(PATIENTS).status_code == 200

    response = client.post(OTP_OFF, follow=True)

    assert "cannot be turned off" in text(response)
    assert TOTPDevice.objects.filter(user=clinic_admin, confirmed=True).exists()
    assert "Turn off two-factor login" not in text(client.get(OTP_MANAGE))


OFF_SITE = ["https://evil.example/steal", "//evil.example/steal", "/\\evil.example/steal"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_cannot_send_the_user_off_site_after_the_code(client, desk_with_app, target):
    log_in(client, "desk")
    page = client.get(OTP_VERIFY, {"next": target})
    assert "evil.example" not in text(page)

    response = client.post(
        OTP_VERIFY, {"otp_token": code_for(desk_with_app.totpdevice_set.get()), "next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_cannot_send_the_user_off_site_after_the_password(client, front_desk, target):
    response = log_in(client, "desk", next=target)

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_cannot_send_the_user_off_site_after_setup(client, clinic_admin, target):
    log_in(client, "boss")
    key = setup_page_key(client.get(OTP_SETUP, {"next": target}))

    response = client.post(OTP_SETUP, {"otp_token": code_from_key(key), "next": target})

    assert response.status_code == 200
    assert "evil.example" not in text(response)


@pytest.mark.parametrize("username", ["frontdesk", "acupuncturist", "clinicadmin"])
def test_demo_users_log_in_with_the_contract_totp_secret(client, settings, username):
    settings.DEBUG = True
    call_command("seed_demo", stdout=None)
    settings.DEBUG = False

    response = log_in(client, username, DEMO_PASSWORD, next=PATIENTS)
    assert redirects_to(response, PATIENTS)
    assert redirects_to(client.get(PATIENTS), OTP_VERIFY)
    code = code_from_key(base64.b32decode(DEMO_TOTP_SECRET))
    response = client.post(OTP_VERIFY, {"otp_token": code, "next": "/"})

    assert redirects_to(response, "/")
    assert client.get("/").status_code == 200
    if username == "clinicadmin":
        assert client.get(ADMIN).status_code == 200


# --- Password change ends the other sessions ------------------------------------------------


def change_password(client, old=TEST_PASSWORD, new=NEW_PASSWORD):
    return client.post(
        PASSWORD_CHANGE, {"old_password": old, "new_password1": new, "new_password2": new}
    )


def test_password_change_ends_the_users_other_sessions(front_desk):
    office, home = Client(), Client()
    assert log_in(office, "desk").status_code == 302
    assert log_in(home, "desk", ip=OTHER_IP).status_code == 302
    assert home.get(PATIENTS).status_code == 200

    assert redirects_to(change_password(office), "/accounts/password/done/")

    assert office.get(PATIENTS).status_code == 200
    response = home.get(PATIENTS)
    assert redirects_to(response, LOGIN)
    assert not is_logged_in(home)
    assert log_in(home, "desk", NEW_PASSWORD, ip=OTHER_IP).status_code == 302


def test_password_change_keeps_the_changing_session_verified(clinic_admin):
    office, home = Client(), Client()
    office.force_login(clinic_admin)
    home.force_login(clinic_admin)
    assert home.get(PATIENTS).status_code == 200

    assert redirects_to(change_password(office), "/accounts/password/done/")

    assert office.get(PATIENTS).status_code == 200
    assert office.get(ADMIN).status_code == 200
    assert redirects_to(home.get(PATIENTS), LOGIN)
