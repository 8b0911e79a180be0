"""Start-up checks of the text-message settings: a mistake shows when the app starts
(and in `manage.py check`), not when the first reminder fails."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from messaging import sms


@checks.register()
def check_sms_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    name = settings.SMS_BACKEND
    if not name or name in sms.BACKENDS:
        if name == "twilio" and not sms.twilio_configured():
            return [
                checks.Warning(
                    "SMS_BACKEND is 'twilio' but TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN or "
                    "TWILIO_FROM_NUMBER is not set: text messages are off.",
                    id="messaging.W001",
                )
            ]
        return []
    try:
        backend = import_string(name)
    except ImportError:
        backend = None
    if not (isinstance(backend, type) and issubclass(backend, sms.BaseSmsBackend)):
        return [
            checks.Error(
                f"SMS_BACKEND is {name!r}: use '' (off), 'console', 'twilio', or the "
                "dotted path of a messaging.sms.BaseSmsBackend.",
                id="messaging.E001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_site_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Links in messages (check-ins) are built from SITE_URL by the worker, which has
    no request to read the address from: in production it must be set, over HTTPS."""
    if settings.DEBUG:
        return []
    url = settings.SITE_URL
    if not url.startswith("https://") or "127.0.0.1" in url or "localhost" in url:
        return [
            checks.Warning(
                f"SITE_URL is {url!r}: set it to the https:// address patients reach, or "
                "check-in links in messages will not work for them.",
                id="messaging.W002",
            )
        ]
    return []
