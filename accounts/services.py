"""Writes to staff accounts: backup codes, and what follows when an admin resets
another user's password or second factor."""

import secrets

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import BackupCode, BackupCodeDevice, User
from audit.trail import Event, record

BACKUP_DEVICE_NAME = "Backup codes"
APP_DEVICE_NAME = "Authenticator app"


def second_factor_match(*, user: User, token: str):
    """The confirmed device that accepts `token`, if any (throttled by django-otp:
    each wrong code makes the next try wait longer).

    Six digits are an app code; anything else is tried as a backup code, so a
    backup code does not count as a wrong app code, nor the other way round.
    """
    model = TOTPDevice if token.isdigit() and len(token) == 6 else BackupCodeDevice
    with transaction.atomic():
        for device in model.objects.devices_for_user(user).select_for_update():
            if device.verify_token(token):
                return device
    return None


@transaction.atomic
def authenticator_pending(*, user: User) -> TOTPDevice:
    """The authenticator being set up: its key stays the same across reloads of the
    setup page until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def authenticator_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the authenticator being set up with its first code: it replaces any
    other, and new backup codes are made. Returns the codes (to show once), or None
    when the code does not match."""
    if not device.verify_token(token):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save()
    return backup_codes_replace(user=user)


@transaction.atomic
def backup_codes_replace(*, user: User) -> list[str]:
    """Give `user` OTP_BACKUP_CODES new one-time codes (the old ones stop working).

    The codes are returned once, to be shown to the user; only their hashes are kept.
    """
    BackupCodeDevice.objects.filter(user=user).delete()
    device = BackupCodeDevice.objects.create(
        user=user,
        name=BACKUP_DEVICE_NAME,
        confirmed=True,
        salt=secrets.token_hex(16),
        iterations=BackupCodeDevice.ITERATIONS,
    )
    codes = [BackupCodeDevice.new_code() for _ in range(settings.OTP_BACKUP_CODES)]
    BackupCode.objects.bulk_create(
        [BackupCode(device=device, code_hash=device.hash_code(code)) for code in codes]
    )
    return codes


@transaction.atomic
def second_factor_remove(*, user: User) -> None:
    """Remove every second-factor device of `user` (their authenticator and codes)."""
    TOTPDevice.objects.filter(user=user).delete()
    BackupCodeDevice.objects.filter(user=user).delete()


@transaction.atomic
def credentials_reset(*, user: User, reset_by: User, what: str) -> User:
    """Another user (a clinic admin) set `user`'s password or removed their second
    factor: `what` says which, for the audit trail.

    Whoever knows the password an admin chose could otherwise log in as `user`,
    and sign notes in their name. So every session `user` has ends now; their
    second factor is removed; and at the next login they must enrol a new
    authenticator and then choose a password of their own. Someone acting on their
    own account is not resetting anyone's: nothing more happens then.
    """
    if user.pk == reset_by.pk:
        return user
    locked = User.objects.select_for_update().get(pk=user.pk)
    second_factor_remove(user=locked)
    locked.must_reset_credentials = True
    locked.credentials_version += 1
    locked.save(update_fields=["must_reset_credentials", "credentials_version"])
    record(
        None,
        Event.CREDENTIALS_RESET,
        obj=locked,
        user=reset_by,
        changes={"reset": ["", what]},
    )
    return locked


@transaction.atomic
def credentials_renewed(*, user: User) -> User:
    """The user chose a new password after a reset: they are theirs again."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.must_reset_credentials:
        locked.must_reset_credentials = False
        locked.save(update_fields=["must_reset_credentials"])
    return locked
