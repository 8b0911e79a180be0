"""Text-message backends, chosen by SMS_BACKEND, as Django chooses email backends.

"" (the default): off. "console": printed, for development. "twilio": sent through
Twilio with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER. A dotted
path names any other BaseSmsBackend (the tests use LocmemBackend).
"""

import sys
import threading

from django.conf import settings
from django.utils.module_loading import import_string

# Seconds to wait for the provider, as EMAIL_TIMEOUT does for mail.
TIMEOUT_SECONDS = 10


class SmsError(Exception):
    """A text that could not be sent. Its text is short and safe to keep: never the
    number or the message. `permanent`: trying again cannot help (a number the
    provider refuses)."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent


class BaseSmsBackend:
    def send(self, *, to: str, body: str) -> None:
        """Send `body` to the E.164 number `to`, or raise SmsError."""
        raise NotImplementedError


class ConsoleBackend(BaseSmsBackend):
    """Prints each text, for development (like Django's console email backend)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, *, to: str, body: str) -> None:
        self.stream.write(f"Text message to {to}\n{body}\n{'-' * 79}\n")
        self.stream.flush()


# Texts "sent" by LocmemBackend, for tests (like django.core.mail.outbox).
outbox: list[dict] = []
_outbox_lock = threading.Lock()


class LocmemBackend(BaseSmsBackend):
    """Keeps each text in messaging.sms.outbox, for tests."""

    def send(self, *, to: str, body: str) -> None:
        with _outbox_lock:
            outbox.append({"to": to, "body": body})


class TwilioBackend(BaseSmsBackend):
    """Twilio's Messages API, through the official library."""

    def __init__(self):
        # Imported when used: a large library that a clinic without texts never needs.
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.from_number = settings.TWILIO_FROM_NUMBER
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=TIMEOUT_SECONDS),
        )

    def send(self, *, to: str, body: str) -> None:
        from twilio.base.exceptions import TwilioRestException

        try:
            self.client.messages.create(to=to, from_=self.from_number, body=body)
        except TwilioRestException as error:
            # Its message can quote the number: keep only the codes.
            raise SmsError(
                f"Twilio error {error.code or '-'} (HTTP {error.status})",
                # A 4xx other than "too many requests" is an answer about this text
                # (a number that cannot receive it): trying again will not help.
                permanent=400 <= error.status < 500 and error.status != 429,
            ) from None


BACKENDS = {"console": ConsoleBackend, "twilio": TwilioBackend}


def twilio_configured() -> bool:
    return bool(
        settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER
    )


def get_backend() -> BaseSmsBackend:
    """The backend SMS_BACKEND names (ask messaging.channels.sms_enabled() first)."""
    name = settings.SMS_BACKEND
    return (BACKENDS.get(name) or import_string(name))()
