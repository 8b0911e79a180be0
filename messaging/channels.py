"""The ways a message reaches a patient: email (Django's email backends) and text
messages (SMS_BACKEND)."""

from django.conf import settings


def sms_enabled() -> bool:
    """Text messages are sent only when an SMS backend is configured."""
    return bool(settings.SMS_BACKEND)
