"""Fixtures for the messages to patients: the clinic's details, a practitioner with a
known name, patients who chose email or texts, texts kept in memory."""

import smtplib

import pytest
from django.core.mail.backends.base import BaseEmailBackend

from core.models import Clinic
from messaging import sms
from tests.factories import PractitionerProfileFactory


@pytest.fixture
def clinic(db):
    clinic, _ = Clinic.objects.update_or_create(
        pk=1,
        defaults={
            "name": "Harbor Community Clinic",
            "phone": "(415) 555-0188",
            "address": "500 Market Street, San Francisco",
        },
    )
    return clinic


@pytest.fixture
def practitioner(db):
    return PractitionerProfileFactory(
        user__username="wchen", user__first_name="Wei", user__last_name="Chen"
    ).user


@pytest.fixture
def texts(settings):
    """Text messages on, "sent" into a list (messaging.sms.LocmemBackend)."""
    settings.SMS_BACKEND = "messaging.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def choose(patient, channel: str):
    patient.reminder_channel = channel
    patient.save(update_fields=["reminder_channel"])
    return patient


@pytest.fixture
def by_email(patient, clinic):
    """Jane Doe, who chose email."""
    return choose(patient, "email")


@pytest.fixture
def by_text(patient, clinic, texts):
    """Jane Doe, who chose text messages (and texts are on)."""
    return choose(patient, "sms")


class RefusingEmailBackend(BaseEmailBackend):
    """A mail server that hangs up, quoting the address as real servers do."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected(
            f"Connection unexpectedly closed while sending to {email_messages[0].to[0]}"
        )


@pytest.fixture
def mail_server_down(settings):
    settings.EMAIL_BACKEND = "tests.messaging.conftest.RefusingEmailBackend"
