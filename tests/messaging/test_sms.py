"""Text messages: off without settings, printed by the console backend, and sent to
Twilio's Messages API (its HTTP interface, the network replaced)."""

import io
import json

import pytest
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

from messaging import sms
from messaging.channels import sms_enabled
from messaging.checks import check_sms_settings
from messaging.models import Message
from messaging.services import deliver_due, message_queue
from tests.messaging.conftest import choose

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-test-token"  # noqa: S105
FROM = "+14155550000"


@pytest.fixture
def twilio(settings):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_FROM_NUMBER = FROM


@pytest.fixture
def twilio_answers(monkeypatch):
    """Replace the network under twilio's HTTP client: each request is kept, and
    answered with the next (status, JSON) given."""
    requests, answers = [], []

    def request(self, method, url, params=None, data=None, headers=None, auth=None, **options):
        requests.append(
            {"method": method, "url": url, "data": data, "auth": auth, "timeout": self.timeout}
        )
        status, payload = answers.pop(0)
        return Response(status, json.dumps(payload), {})

    monkeypatch.setattr(TwilioHttpClient, "request", request)
    return requests, answers


def queue_text(patient):
    return message_queue(
        patient=patient,
        kind=Message.Kind.REMINDER,
        key="reminder:appointment:1",
        subject="Reminder",
        body="A reminder of your appointment on Tuesday at 9:30 AM.",
    ).message


def test_texts_are_off_without_a_backend(settings):
    settings.SMS_BACKEND = ""

    assert not sms_enabled()


def test_twilio_texts_are_off_until_the_account_key_and_number_are_all_set(settings, twilio):
    assert sms_enabled()
    settings.TWILIO_FROM_NUMBER = ""

    assert not sms_enabled()


def test_the_console_backend_prints_the_text(settings):
    settings.SMS_BACKEND = "console"
    out = io.StringIO()

    sms.ConsoleBackend(stream=out).send(to="+14155550100", body="See you on Tuesday.")

    assert sms_enabled()
    assert "+14155550100" in out.getvalue() and "See you on Tuesday." in out.getvalue()


@pytest.mark.django_db
def test_a_text_is_posted_to_twilios_messages_api(patient, clinic, twilio, twilio_answers):
    requests, answers = twilio_answers
    answers.append((201, {"sid": "SM" + "1" * 32, "status": "queued"}))
    queue_text(choose(patient, "sms"))

    assert deliver_due() == {"sent": 1}

    (request,) = requests
    assert request["method"] == "POST"
    assert request["url"] == f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["data"] == {
        "To": "+14155550100",
        "From": FROM,
        "Body": "A reminder of your appointment on Tuesday at 9:30 AM.",
    }
    assert request["auth"] == (SID, TOKEN)
    assert request["timeout"] == sms.TIMEOUT_SECONDS
    assert Message.objects.get().status == "sent"


@pytest.mark.django_db
def test_a_number_twilio_refuses_fails_at_once_without_the_number_in_the_error(
    patient, clinic, twilio, twilio_answers
):
    requests, answers = twilio_answers
    answers.append(
        (
            400,
            {
                "code": 21211,
                "message": "The 'To' number +14155550100 is not a valid phone number.",
                "status": 400,
            },
        )
    )
    message = queue_text(choose(patient, "sms"))

    assert deliver_due() == {"failed": 1}

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.last_error == "Twilio error 21211 (HTTP 400)"


@pytest.mark.django_db
def test_twilio_out_of_service_is_a_failed_attempt_tried_again(
    patient, clinic, twilio, twilio_answers
):
    requests, answers = twilio_answers
    answers.append((503, {"code": 20503, "message": "Service unavailable", "status": 503}))
    message = queue_text(choose(patient, "sms"))

    assert deliver_due() == {"retry": 1}

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert message.last_error == "Twilio error 20503 (HTTP 503)"


def test_twilio_named_without_its_account_is_a_warning_at_start_up(settings, twilio):
    settings.TWILIO_AUTH_TOKEN = ""

    assert [message.id for message in check_sms_settings()] == ["messaging.W001"]


@pytest.mark.parametrize("name", ["twillio", "messaging.sms.SmsError", "nowhere.Backend"])
def test_an_sms_backend_that_is_not_one_is_an_error_of_the_system_checks(settings, name):
    settings.SMS_BACKEND = name

    assert [message.id for message in check_sms_settings()] == ["messaging.E001"]


@pytest.mark.parametrize("name", ["", "console", "messaging.sms.LocmemBackend"])
def test_the_known_sms_backends_pass_the_check(settings, name):
    settings.SMS_BACKEND = name

    assert check_sms_settings() == []
