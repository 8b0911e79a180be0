"""No one can become another member of staff through /admin/ (security review,
finding 2), and backup codes are kept as hashes only (finding 8).

- No page shows a second-factor secret once it is set up, to anyone, superusers
  included; no one adds a device for someone else.
- An admin who sets another user's password, or removes their device, ends that
  user's sessions and makes them enrol a new device and choose a new password at
  the next login; the trail says who did it.
- A clinic admin cannot make themselves superuser or give themselves roles, nor
  change a superuser's account.
"""

import base64
import html
import importlib
import io
import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles
from accounts.models import BackupCode, BackupCodeDevice, User
from accounts.services import backup_codes_replace
from audit.models import AuditEntry
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "copper-kettle-19-whistles"
OWN_PASSWORD = "violet-harbour-83-evenings"


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def needles_with_app(acupuncturist):
    """An acupuncturist with an authenticator app and backup codes, logged in."""
    device = TOTPDevice.objects.create(user=acupuncturist, name="Phone", confirmed=True)
    codes = backup_codes_replace(user=acupuncturist)
    client = Client()
    client.force_login(acupuncturist)
    assert client.get("/").status_code == 200
    return acupuncturist, device, codes, client


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(response) -> str:
    return response.content.decode()


def secrets_of(device: TOTPDevice) -> list[str]:
    """Every form the key of an authenticator takes on a page."""
    return [
        device.key,
        device.key.upper(),
        base64.b32encode(device.bin_key).decode().rstrip("="),
        "secret=" + base64.b32encode(device.bin_key).decode().rstrip("="),
    ]


# --- Second-factor secrets ------------------------------------------------------------


@pytest.mark.parametrize("who", ["clinic_admin", "superuser"])
def test_no_admin_page_shows_another_users_authenticator_secret(
    who, clinic_admin, superuser, needles_with_app
):
    user, device, _codes, _client = needles_with_app
    admin = as_user({"clinic_admin": clinic_admin, "superuser": superuser}[who])
    base = "/admin/otp_totp/totpdevice/"

    pages = {
        "list": admin.get(base),
        "change": admin.get(f"{base}{device.pk}/change/"),
        "config": admin.get(f"{base}{device.pk}/config/"),
        "qrcode": admin.get(f"{base}{device.pk}/qrcode/"),
    }

    assert pages["list"].status_code == 200
    assert html.escape(str(user)) in page(pages["list"])
    assert pages["change"].status_code == 200
    assert pages["config"].status_code in (302, 404)  # no such page
    assert pages["qrcode"].status_code in (302, 404)
    for response in pages.values():
        for secret in secrets_of(device):
            assert secret not in page(response)


def test_no_one_adds_an_authenticator_for_someone_else_in_the_admin(superuser, acupuncturist):
    admin = as_user(superuser)

    form = admin.get("/admin/otp_totp/totpdevice/add/")
    sent = admin.post(
        "/admin/otp_totp/totpdevice/add/",
        {"user": acupuncturist.pk, "name": "Mine", "key": "00" * 20, "confirmed": "on"},
    )

    assert form.status_code == 403
    assert sent.status_code == 403
    assert not TOTPDevice.objects.filter(user=acupuncturist).exists()


def test_django_otps_clear_text_backup_code_pages_are_gone(superuser):
    assert as_user(superuser).get("/admin/otp_static/staticdevice/").status_code == 404


def test_backup_codes_are_stored_only_as_hashes_and_work_once(client, needles_with_app):
    user, _device, codes, _client = needles_with_app
    stored = " ".join(
        BackupCode.objects.filter(device__user=user).values_list("code_hash", flat=True)
    )

    assert len(codes) == 10
    assert all(len(code) == 10 for code in codes)
    assert not any(code in stored for code in codes)
    device = BackupCodeDevice.objects.get(user=user)
    assert device.verify_token(codes[3].upper())  # as typed from paper
    assert not device.verify_token(codes[3])
    assert BackupCode.objects.filter(device=device).count() == 9


def test_a_backup_export_holds_no_backup_code(needles_with_app, tmp_path):
    _user, _device, codes, _client = needles_with_app

    call_command("backup_export", str(tmp_path / "b.json"), stdout=io.StringIO())

    dump = (tmp_path / "b.json").read_text()
    assert not any(code in dump for code in codes)


def test_the_migration_moves_clear_text_codes_to_hashes_and_they_still_work(acupuncturist):
    old = StaticDevice.objects.create(user=acupuncturist, name="Backup codes", confirmed=True)
    StaticToken.objects.bulk_create(
        [StaticToken(device=old, token=code) for code in ("abcd2345", "wxyz6723")]
    )
    migration = importlib.import_module("accounts.migrations.0005_move_backup_codes_to_hashes")

    migration.hash_existing_codes(apps, None)

    assert not StaticDevice.objects.exists()
    assert not StaticToken.objects.exists()
    device = BackupCodeDevice.objects.get(user=acupuncturist)
    assert device.confirmed
    stored = list(device.codes.values_list("code_hash", flat=True))
    assert len(stored) == 2
    assert "abcd2345" not in " ".join(stored)
    assert device.verify_token("wxyz6723")
    assert not device.verify_token("wxyz6723")


def test_a_restore_prints_no_authenticator_secret(needles_with_app, tmp_path):
    _user, device, _codes, _client = needles_with_app
    call_command("backup_export", str(tmp_path / "b.json"), stdout=io.StringIO())
    out, err = io.StringIO(), io.StringIO()

    # Into a database that is not empty: refused, with its reasons printed.
    with pytest.raises(Exception):  # noqa: B017 - the command's own error
        call_command("backup_restore", str(tmp_path / "b.json"), stdout=out, stderr=err)

    printed = out.getvalue() + err.getvalue()
    for secret in secrets_of(device):
        assert secret not in printed


# --- An admin sets someone's password ---------------------------------------------------


def set_password_in_admin(admin: Client, user: User, password=NEW_PASSWORD):
    return admin.post(
        f"/admin/acuclinic/user/{user.pk}/password/",
        {"password1": password, "password2": password, "usable_password": "true"},
    )


def test_a_password_set_by_an_admin_ends_the_users_sessions_and_removes_their_devices(
    clinic_admin, needles_with_app
):
    user, _device, _codes, their_browser = needles_with_app

    response = set_password_in_admin(as_user(clinic_admin), user)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.must_reset_credentials
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not BackupCodeDevice.objects.filter(user=user).exists()
    assert their_browser.get("/").status_code == 302  # logged out
    assert their_browser.get("/")["Location"].startswith("/accounts/login/")
    entry = AuditEntry.objects.get(event=AuditEntry.Event.CREDENTIALS_RESET)
    assert entry.actor == clinic_admin
    assert entry.object_pk == str(user.pk)
    assert "password set in the admin" in str(entry.changes)


def test_removing_someones_device_in_the_admin_resets_their_login_too(
    clinic_admin, needles_with_app
):
    user, device, _codes, their_browser = needles_with_app

    response = as_user(clinic_admin).post(
        f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.must_reset_credentials
    assert user.check_password(TEST_PASSWORD)  # the password itself is unchanged
    assert not BackupCodeDevice.objects.filter(user=user).exists()
    assert their_browser.get("/").status_code == 302
    entry = AuditEntry.objects.get(event=AuditEntry.Event.CREDENTIALS_RESET)
    assert entry.actor == clinic_admin


def test_an_admin_setting_their_own_password_in_the_admin_resets_nothing(clinic_admin):
    admin = as_user(clinic_admin)

    set_password_in_admin(admin, clinic_admin)

    clinic_admin.refresh_from_db()
    assert not clinic_admin.must_reset_credentials
    assert TOTPDevice.objects.filter(user=clinic_admin).exists()
    assert not AuditEntry.objects.filter(event=AuditEntry.Event.CREDENTIALS_RESET).exists()


def test_after_a_reset_the_next_login_enrols_a_device_then_a_new_password(
    clinic_admin, needles_with_app
):
    user, _device, _codes, _ = needles_with_app
    set_password_in_admin(as_user(clinic_admin), user)
    browser = Client()

    browser.post("/accounts/login/", {"username": user.username, "password": NEW_PASSWORD})

    # First a new authenticator (the admin never sees its key) ...
    assert browser.get("/patients/")["Location"].startswith("/accounts/two-factor/setup/")
    setup = page(browser.get("/accounts/two-factor/setup/"))
    key = base64.b32decode(re.search(r"data-otp-secret>([A-Z2-7 ]+)<", setup)[1].replace(" ", ""))
    browser.post("/accounts/two-factor/setup/", {"otp_token": f"{totp(key):06d}"})
    # ... then a password of their own before anything else.
    assert browser.get("/patients/")["Location"] == "/accounts/password/"
    form = browser.get("/accounts/password/")
    assert "A clinic admin reset your login" in page(form)
    browser.post(
        "/accounts/password/",
        {
            "old_password": NEW_PASSWORD,
            "new_password1": OWN_PASSWORD,
            "new_password2": OWN_PASSWORD,
        },
    )

    user.refresh_from_db()
    assert not user.must_reset_credentials
    assert user.check_password(OWN_PASSWORD)
    assert browser.get("/patients/").status_code == 200


# --- Roles and superuser status ---------------------------------------------------------


def change_form(user: User, **overrides) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        "practitioner_profile-TOTAL_FORMS": "0",
        "practitioner_profile-INITIAL_FORMS": "0",
        "practitioner_profile-MIN_NUM_FORMS": "0",
        "practitioner_profile-MAX_NUM_FORMS": "1",
    }
    return data | overrides


def test_a_clinic_admin_cannot_make_themselves_superuser_or_give_themselves_roles(
    clinic_admin,
):
    all_roles = [str(pk) for pk in roles_pks()]
    every_permission = [str(pk) for pk in permission_pks()]

    response = as_user(clinic_admin).post(
        f"/admin/acuclinic/user/{clinic_admin.pk}/change/",
        change_form(
            clinic_admin,
            is_superuser="on",
            groups=all_roles,
            user_permissions=every_permission,
        ),
    )

    assert response.status_code == 302, page(response)[:2000]
    clinic_admin.refresh_from_db()
    assert not clinic_admin.is_superuser
    assert clinic_admin.role_names == [roles.CLINIC_ADMIN]
    assert not clinic_admin.user_permissions.exists()


def test_a_clinic_admin_cannot_make_someone_else_superuser(clinic_admin, front_desk):
    as_user(clinic_admin).post(
        f"/admin/acuclinic/user/{front_desk.pk}/change/",
        change_form(front_desk, is_superuser="on", groups=[str(pk) for pk in roles_pks()]),
    )

    front_desk.refresh_from_db()
    assert not front_desk.is_superuser
    # Giving someone else a role stays the clinic admin's job.
    assert set(front_desk.role_names) == set(roles.ALL_ROLES)


def test_a_clinic_admin_cannot_change_a_superusers_account_or_password(clinic_admin, superuser):
    admin = as_user(clinic_admin)

    assert admin.get(f"/admin/acuclinic/user/{superuser.pk}/password/").status_code == 403
    assert set_password_in_admin(admin, superuser).status_code == 403
    superuser.refresh_from_db()
    assert superuser.check_password(TEST_PASSWORD)
    assert not superuser.must_reset_credentials


def test_a_superuser_grants_roles_and_the_trail_says_who(superuser, front_desk):
    as_user(superuser).post(
        f"/admin/acuclinic/user/{front_desk.pk}/change/",
        change_form(front_desk, is_superuser="on", groups=[str(pk) for pk in roles_pks()]),
    )

    front_desk.refresh_from_db()
    assert front_desk.is_superuser
    entries = AuditEntry.objects.filter(object_pk=str(front_desk.pk), actor=superuser)
    changed = " ".join(str(entry.changes) for entry in entries)
    assert "is_superuser" in changed
    assert "groups" in changed


def roles_pks():
    return (
        apps.get_model("auth", "Group")
        .objects.filter(name__in=roles.ALL_ROLES)
        .values_list("pk", flat=True)
    )


def permission_pks():
    return apps.get_model("auth", "Permission").objects.values_list("pk", flat=True)[:20]
