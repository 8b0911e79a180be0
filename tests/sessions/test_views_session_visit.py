"""A session started from a visit ("Start session" on the acupuncturist's Today list):
the session form carries the visit, the saved session is linked to it, signing marks
the visit attended, and the session pages say which visit it belongs to. Refusals are
messages; nothing typed is lost."""

import datetime
import re

import pytest
from django.utils import timezone

from scheduling.models import Appointment
from sessions.models import TreatmentSession
from tests.browser_forms import PostForms
from tests.factories import AppointmentFactory, PractitionerProfileFactory, TreatmentSessionFactory
from tests.payloads import as_sent, session_note

pytestmark = pytest.mark.django_db


def _today_at(hour: int, minute: int = 0, *, days: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def visit(acupuncturist, patient):
    """Jane Doe's visit with the acupuncturist today at 09:30, checked in at 09:20."""
    return AppointmentFactory(
        practitioner=acupuncturist,
        patient=patient,
        starts_at=_today_at(9, 30),
        status=Appointment.Status.ARRIVED,
        arrived_at=_today_at(9, 20),
    )


@pytest.fixture
def acu_client(client, acupuncturist):
    client.force_login(acupuncturist)
    return client


def _start_url(visit) -> str:
    return f"/patients/{visit.patient.code}/sessions/new/?appointment={visit.code}"


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def _form_from(client, visit, **note) -> dict:
    """The form "Start session" opens, as the browser sends it back, with a note typed."""
    return {**as_sent(client, _start_url(visit)), **session_note(**note)}


def test_start_session_opens_the_form_for_that_visit(acu_client, visit):
    response = acu_client.get(_start_url(visit))

    assert response.status_code == 200
    page = response.content.decode()
    assert f'name="appointment" value="{visit.code}"' in page
    assert f'data-visit="{visit.code}"' in page
    assert "09:30" in _text(response) and "arrived 09:20" in _text(response)


def test_the_session_saved_from_the_form_is_linked_to_the_visit(acu_client, visit):
    response = acu_client.post(_start_url(visit), _form_from(acu_client, visit))

    session = TreatmentSession.objects.get()
    assert response.status_code == 302
    assert session.appointment == visit


def test_the_session_page_shows_the_visit_it_belongs_to(acu_client, visit):
    acu_client.post(_start_url(visit), _form_from(acu_client, visit))
    session = TreatmentSession.objects.get()

    response = acu_client.get(f"/sessions/{session.code}/")

    assert f'data-visit="{visit.code}"' in response.content.decode()
    text = _text(response)
    assert "Visit:" in text and "09:30" in text and "Arrived" in text


def test_save_and_sign_from_the_visit_marks_the_visit_attended(acu_client, visit):
    response = acu_client.post(_start_url(visit), _form_from(acu_client, visit, action="sign"))

    session = TreatmentSession.objects.get()
    assert session.is_signed
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.ATTENDED
    assert response.status_code == 302


def test_signing_the_draft_later_from_its_page_marks_the_visit_attended(acu_client, visit):
    acu_client.post(_start_url(visit), _form_from(acu_client, visit))
    session = TreatmentSession.objects.get()
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.ARRIVED  # a draft changes nothing

    acu_client.post(f"/sessions/{session.code}/sign/")

    visit.refresh_from_db()
    assert visit.status == Appointment.Status.ATTENDED


def test_discarding_the_draft_leaves_the_visit_as_it_was(acu_client, visit):
    acu_client.post(_start_url(visit), _form_from(acu_client, visit))
    session = TreatmentSession.objects.get()

    acu_client.post(f"/sessions/{session.code}/discard/", {"reason": "Wrong patient."})

    session.refresh_from_db()
    visit.refresh_from_db()
    assert session.is_discarded
    assert visit.status == Appointment.Status.ARRIVED


def test_a_link_to_a_cancelled_visit_opens_no_form_and_says_why(acu_client, visit):
    Appointment.objects.filter(pk=visit.pk).update(status=Appointment.Status.CANCELLED)

    response = acu_client.get(_start_url(visit), follow=True)

    assert response.redirect_chain[-1][0] == f"/patients/{visit.patient.code}/"
    assert "This visit is marked cancelled: no session can be started from it." in _messages(
        response
    )


def test_a_link_to_another_practitioners_visit_is_refused(client, visit):
    colleague = PractitionerProfileFactory().user
    client.force_login(colleague)

    response = client.get(_start_url(visit), follow=True)

    assert any("only they can start its session" in m for m in _messages(response))
    assert not TreatmentSession.objects.exists()


@pytest.mark.parametrize("code", ["not-a-code", "00000000-0000-0000-0000-000000000000"])
def test_a_link_with_an_unknown_visit_is_refused(acu_client, visit, code):
    url = f"/patients/{visit.patient.code}/sessions/new/?appointment={code}"

    response = acu_client.get(url, follow=True)

    assert response.redirect_chain[-1][0] == f"/patients/{visit.patient.code}/"
    assert any("This visit was not found" in m for m in _messages(response))


def test_a_link_to_a_visit_whose_session_is_started_opens_that_session(
    acu_client, acupuncturist, visit
):
    draft = TreatmentSessionFactory(
        patient=visit.patient, created_by=acupuncturist, appointment=visit
    )

    response = acu_client.get(_start_url(visit), follow=True)

    assert response.redirect_chain[-1][0] == f"/sessions/{draft.code}/"
    assert "This visit already has a session note." in _messages(response)


def test_a_visit_cancelled_while_the_form_was_open_is_refused_and_nothing_typed_is_lost(
    acu_client, visit
):
    sent = _form_from(acu_client, visit, subjective="Much better this week.")
    Appointment.objects.filter(pk=visit.pk).update(status=Appointment.Status.CANCELLED)

    response = acu_client.post(_start_url(visit), sent)

    assert response.status_code == 200
    assert not TreatmentSession.objects.exists()
    assert any("This visit is marked cancelled" in m for m in _messages(response))
    resent = as_sent_from(response)
    assert resent["subjective"] == "Much better this week."
    assert resent["appointment"] == ""  # the visit is let go
    # Saving again logs the session, without the visit.
    again = acu_client.post(_start_url(visit), resent)
    assert again.status_code == 302
    assert TreatmentSession.objects.get().appointment is None


def as_sent_from(response) -> dict:
    """The re-rendered form's values, as the browser would send them again."""
    for action, values in PostForms(response.content.decode()).forms:
        if action == "":
            values.pop("csrfmiddlewaretoken", None)
            data = {k: v if len(v) > 1 else v[0] for k, v in values.items()}
            data.setdefault("action", "save")
            return data
    raise AssertionError("no session form on the page")


def test_a_malformed_visit_code_in_the_form_is_reported_and_nothing_is_saved(acu_client, visit):
    sent = {**_form_from(acu_client, visit), "appointment": "not-a-code"}

    response = acu_client.post(_start_url(visit), sent)

    assert response.status_code == 200
    assert "This visit was not found." in response.content.decode()
    assert not TreatmentSession.objects.exists()


def test_the_front_desk_cannot_start_a_session_from_a_visit(client, front_desk, visit):
    client.force_login(front_desk)
    assert client.get(_start_url(visit)).status_code == 403
    assert (
        client.post(_start_url(visit), session_note(appointment=str(visit.code))).status_code == 403
    )
    assert not TreatmentSession.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, visit):
    response = client.get(_start_url(visit))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_signing_after_the_desk_marked_the_visit_a_no_show_signs_and_says_so(acu_client, visit):
    acu_client.post(_start_url(visit), _form_from(acu_client, visit))
    session = TreatmentSession.objects.get()
    Appointment.objects.filter(pk=visit.pk).update(status=Appointment.Status.NO_SHOW)

    response = acu_client.post(f"/sessions/{session.code}/sign/", follow=True)

    session.refresh_from_db()
    assert session.is_signed
    assert any("is marked no-show, so it was not marked attended" in m for m in _messages(response))
    assert "The front desk marked this visit no-show." in _text(response)
