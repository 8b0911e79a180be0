"""Reads of staff accounts that other apps need."""

from django.contrib.auth.models import Permission
from django.db.models import Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import BackupCode, PractitionerProfile, User


def practitioner_profile(user: User) -> PractitionerProfile | None:
    """The user's licence details, if they are a practitioner."""
    return PractitionerProfile.objects.filter(user=user).first()


def confirmed_authenticator(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def backup_codes_left(user: User) -> int:
    return BackupCode.objects.filter(device__user=user, device__confirmed=True).count()


def practitioners():
    """Active staff who may sign session notes: those who can be booked."""
    permission = Permission.objects.filter(
        content_type__app_label="treatment_sessions", codename="sign_treatmentsession"
    )
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__permissions__in=permission) | Q(user_permissions__in=permission))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def is_practitioner(user: User) -> bool:
    return practitioners().filter(pk=user.pk).exists()
