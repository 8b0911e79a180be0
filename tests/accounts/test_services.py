"""The staff account services decide their rules themselves, whoever calls them."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import BackupCodeDevice
from accounts.services import (
    authenticator_confirm,
    authenticator_pending,
    backup_codes_replace,
    credentials_renewed,
    credentials_reset,
    second_factor_match,
)
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_wrong_first_code_confirms_no_authenticator_and_makes_no_codes(front_desk):
    device = authenticator_pending(user=front_desk)
    wrong = f"{(TOTP(device.bin_key).token() + 1) % 1_000_000:06d}"

    assert authenticator_confirm(user=front_desk, device=device, token=wrong) is None

    device.refresh_from_db()
    assert not device.confirmed
    assert not BackupCodeDevice.objects.filter(user=front_desk).exists()


def test_the_right_first_code_replaces_any_other_authenticator(front_desk):
    old = TOTPDevice.objects.create(user=front_desk, name="Old phone", confirmed=True)
    device = authenticator_pending(user=front_desk)

    codes = authenticator_confirm(
        user=front_desk, device=device, token=f"{TOTP(device.bin_key).token():06d}"
    )

    assert len(codes) == 10
    assert list(TOTPDevice.objects.filter(user=front_desk)) == [device]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()


def test_a_six_digit_code_is_never_tried_as_a_backup_code_nor_the_reverse(front_desk):
    codes = backup_codes_replace(user=front_desk)

    assert second_factor_match(user=front_desk, token="123456") is None
    assert second_factor_match(user=front_desk, token=codes[0]) is not None
    assert second_factor_match(user=front_desk, token=codes[0]) is None  # used once


def test_resetting_ones_own_login_resets_nothing(clinic_admin):
    TOTPDevice.objects.create(user=clinic_admin, name="Phone", confirmed=True)

    credentials_reset(user=clinic_admin, reset_by=clinic_admin, what="password set in the admin")

    clinic_admin.refresh_from_db()
    assert not clinic_admin.must_reset_credentials
    assert TOTPDevice.objects.filter(user=clinic_admin).exists()
    assert not AuditEntry.objects.filter(event=AuditEntry.Event.CREDENTIALS_RESET).exists()


def test_a_reset_is_undone_only_by_the_users_own_new_password(clinic_admin, front_desk):
    credentials_reset(user=front_desk, reset_by=clinic_admin, what="password set in the admin")
    front_desk.refresh_from_db()
    assert front_desk.must_reset_credentials
    version = front_desk.credentials_version

    credentials_renewed(user=front_desk)

    front_desk.refresh_from_db()
    assert not front_desk.must_reset_credentials
    assert front_desk.credentials_version == version  # sessions ended by the reset stay ended
