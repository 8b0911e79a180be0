"""Reads of staff accounts that other apps need."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import BackupCode, PractitionerProfile, User


def practitioner_profile(user: User) -> PractitionerProfile | None:
    """The user's licence details, if they are a practitioner."""
    return PractitionerProfile.objects.filter(user=user).first()


def confirmed_authenticator(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def backup_codes_left(user: User) -> int:
    return BackupCode.objects.filter(device__user=user, device__confirmed=True).count()
