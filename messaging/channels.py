"""The ways a message reaches a patient: email (Django's email backends) and text
messages (SMS_BACKEND)."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage

from messaging import sms
from messaging.models import Message


def sms_enabled() -> bool:
    """Text messages are sent only when an SMS backend is configured (for Twilio:
    with its account, key and number)."""
    if settings.SMS_BACKEND == "twilio":
        return sms.twilio_configured()
    return bool(settings.SMS_BACKEND)


class SendError(Exception):
    """A message that could not be sent this time. Its text is short and safe to
    keep on the message (never the address or the text); `permanent` when trying
    again cannot help."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent


def send(message: Message) -> None:
    """Send the message by its channel, or raise SendError."""
    if message.channel == Message.Channel.EMAIL:
        _send_email(message)
    else:
        _send_sms(message)


def _send_email(message: Message) -> None:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
    )
    if message.attachment_name:
        # The attachment is a calendar entry (.ics); the type follows the name.
        email.attach(message.attachment_name, bytes(message.attachment))
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused:
        raise SendError("The mail server refused the address", permanent=True) from None
    except (OSError, smtplib.SMTPException) as error:
        # The error's text can carry the address: keep only its kind.
        raise SendError(f"Email not sent ({type(error).__name__})") from None


def _send_sms(message: Message) -> None:
    if not sms_enabled():
        raise SendError("Text messages are off (SMS_BACKEND)", permanent=True)
    try:
        sms.get_backend().send(to=message.recipient, body=message.body)
    except sms.SmsError as error:
        raise SendError(str(error), permanent=error.permanent) from None
