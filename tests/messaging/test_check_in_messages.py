"""Check-in messages: the outbox holds a placeholder, and the worker mints the link as
it sends (messaging.links), so no token is ever stored."""

import re

import pytest
from django.core import mail
from django.test import Client

from checkins.services import checkin_create, checkin_revoke, checkin_send, checkin_submit
from messaging.models import Message
from messaging.services import deliver_due
from tests.factories import IntakeFactory
from tests.intake.test_intake_links_security import database_text

pytestmark = pytest.mark.django_db

LINK = re.compile(r"(\S+)/check-in/([A-Za-z0-9_-]{43})/")


def ask(patient):
    IntakeFactory(patient=patient, submitted=True)
    check_in = checkin_create(patient, by=None, reason="sessions")
    queued = checkin_send(check_in)
    assert queued.created
    return check_in, queued.message


def test_the_email_carries_a_fresh_link_and_the_outbox_only_a_placeholder(by_email, settings):
    settings.SITE_URL = "https://clinic.example.org"
    check_in, message = ask(by_email)

    assert deliver_due()["sent"] == 1

    [email] = mail.outbox
    site, token = LINK.search(email.body).groups()
    assert site == "https://clinic.example.org"
    assert email.subject == "How are you doing? A question from Harbor Community Clinic"
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert "[link]" in message.body and token not in message.body
    assert token not in database_text()
    assert Client().get(f"/check-in/{token}/").status_code == 200


def test_the_text_message_carries_the_link(by_text, texts):
    ask(by_text)

    assert deliver_due()["sent"] == 1

    [text] = texts
    assert LINK.search(text["body"])
    assert "[link]" not in text["body"]


@pytest.mark.parametrize("how", ["answered", "stopped"])
def test_a_check_in_closed_before_sending_is_not_sent(by_email, front_desk, how):
    check_in, message = ask(by_email)
    if how == "answered":
        checkin_submit(check_in, {"pain_now": 2, "pain_worst": 3, "psfs_score_1": 5, "pgic": 3})
    else:
        checkin_revoke(by_email, by=front_desk)

    assert deliver_due()["failed"] == 1

    assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "no longer needed" in message.last_error
    check_in.refresh_from_db()
    assert check_in.token_hash is None


def test_the_same_check_in_is_queued_once(by_email):
    check_in, message = ask(by_email)

    again = checkin_send(check_in)

    assert not again.created
    assert again.message == message
    assert Message.objects.count() == 1
