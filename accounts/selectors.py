"""Reads of staff accounts that other apps need."""

from accounts.models import PractitionerProfile, User


def practitioner_profile(user: User) -> PractitionerProfile | None:
    """The user's licence details, if they are a practitioner."""
    return PractitionerProfile.objects.filter(user=user).first()
