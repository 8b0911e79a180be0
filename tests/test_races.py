"""Two people (or two clicks) sending the same thing at the same moment, on SQLite
and on PostgreSQL (security review, findings 3 and 5).

Each request runs in its own thread, with its own database connection, released
together. Whatever the order, each gets a page a person can act on (the record
saved, a conflict, a refusal), never a server error such as SQLite's "database is
locked", and the database holds what exactly one of them meant.
"""

import time

import pytest
from django.test import Client

from intake.models import Intake, Patient
from plans.models import Plan
from scheduling.models import Appointment
from sessions.models import TreatmentSession
from tests.browser_forms import form_values
from tests.concurrency import at_the_same_moment
from tests.factories import PatientFactory, UserFactory, make_invitation, make_plan
from tests.payloads import PATIENT, STEP, as_sent, booking, plan_form, treated_patient, visit

# Committed rows, seen by every thread's connection; the roles come back afterwards.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def at_once(*sends) -> list[int]:
    """Send each request (`send()`, through its own client) at the same moment; the
    status codes, in order."""
    responses = at_the_same_moment(*sends)
    assert not any(isinstance(response, Exception) for response in responses), responses
    return [response.status_code for response in responses]


def logged_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def slowed(monkeypatch, owner, name, seconds=0.3):
    """Make `owner.name` wait a moment before it runs: without a lock, both requests
    would pass their checks before either wrote."""
    real = getattr(owner, name)

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, slow)


ROUNDS = 3


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_identical_registrations_at_once_make_one_chart(monkeypatch, front_desk, round_):
    # The write waits after the duplicate check: both checks would find nothing.
    slowed(monkeypatch, Patient.objects, "create")
    desks = [logged_in(front_desk), logged_in(UserFactory(username="desk2", role="Front desk"))]

    statuses = at_once(*(lambda c=c: c.post("/patients/new/", PATIENT) for c in desks))

    assert sorted(statuses) == [200, 302]  # one registered, one shown the match
    assert Patient.objects.filter(last_name="Quill").count() == 1


def test_two_registrations_confirmed_as_different_people_both_go_through(monkeypatch, front_desk):
    PatientFactory(
        **{k: PATIENT[k] for k in ("first_name", "last_name")}, date_of_birth="1980-04-25"
    )
    desk = logged_in(front_desk)
    key = desk.post("/patients/new/", PATIENT).context["form"].duplicate_key()
    confirmed = {**PATIENT, "confirm_duplicate": key}

    statuses = at_once(
        lambda: logged_in(front_desk).post("/patients/new/", confirmed),
        lambda: logged_in(front_desk).post("/patients/new/", confirmed),
    )

    assert statuses == [302, 302]
    assert Patient.objects.filter(last_name="Quill").count() == 3


def test_two_demographics_saves_of_one_version_give_a_save_and_a_conflict(front_desk, patient):
    desks = [logged_in(front_desk), logged_in(UserFactory(username="desk2", role="Front desk"))]
    url = f"/patients/{patient.code}/edit/"
    forms = [as_sent(desk, url) for desk in desks]

    statuses = at_once(
        lambda: desks[0].post(url, {**forms[0], "phone": "415 555 0199"}),
        lambda: desks[1].post(url, {**forms[1], "email": "other@example.com"}),
    )

    assert sorted(statuses) == [302, 409]
    patient.refresh_from_db()
    assert patient.version == 2


def test_two_plan_edits_of_one_version_give_a_save_and_a_conflict(acupuncturist):
    patient = treated_patient()
    plan = make_plan(patient, user=acupuncturist, months_with_pain=6)
    clients = [logged_in(acupuncturist), logged_in(acupuncturist)]
    url = f"/plans/{plan.code}/edit/"
    forms = [as_sent(client, url) for client in clients]

    statuses = at_once(
        lambda: clients[0].post(url, {**forms[0], "target_pain": "1", "reason": "Agreed"}),
        lambda: clients[1].post(url, {**forms[1], "advice_notes": "Walk", "reason": "Agreed"}),
    )

    assert sorted(statuses) == [302, 409]
    plan.refresh_from_db()
    assert plan.version == 2


def test_two_desks_booking_one_slot_at_once_make_one_visit(front_desk, acupuncturist):
    patient = PatientFactory(created_by=front_desk)
    desks = [logged_in(front_desk), logged_in(UserFactory(username="desk2", role="Front desk"))]
    url = f"/patients/{patient.code}/appointments/new/"
    data = [{**as_sent(desk, url), **booking(acupuncturist)} for desk in desks]

    statuses = at_once(*(lambda d=d, f=f: d.post(url, f) for d, f in zip(desks, data, strict=True)))

    assert 500 not in statuses
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_two_plans_started_at_once_make_one_plan(acupuncturist):
    patient = treated_patient()
    clients = [logged_in(acupuncturist), logged_in(acupuncturist)]
    url = f"/patients/{patient.code}/plan/new/"

    statuses = at_once(*(lambda c=c: c.post(url, plan_form(acupuncturist)) for c in clients))

    assert 500 not in statuses
    assert Plan.objects.filter(patient=patient).count() == 1


def test_save_and_sign_sent_twice_at_once_signs_one_note(acupuncturist):
    patient = treated_patient()
    client = logged_in(acupuncturist)
    url = f"/patients/{patient.code}/sessions/new/"
    sent = {**as_sent(client, url), **visit(), "action": "sign"}

    statuses = at_once(lambda: client.post(url, sent), lambda: client.post(url, sent))

    assert 500 not in statuses
    assert TreatmentSession.objects.filter(patient=patient).count() == 1
    assert TreatmentSession.objects.get(patient=patient).status == "signed"


def test_an_intake_submitted_twice_at_once_is_submitted_once(front_desk):
    patient = PatientFactory(created_by=front_desk, first_name="Ada", last_name="Quill")
    _invitation, token, link = make_invitation(patient, created_by=front_desk)
    browser = Client(raise_request_exception=False)
    browser.get(link)
    for step in range(1, 6):
        page = browser.get(f"{link}step/{step}/").content.decode()
        sent = {**form_values(page), **STEP[step], "action": "next"}
        assert browser.post(f"{link}step/{step}/", sent).status_code == 302
    consent = {**STEP[6], "action": "submit"}

    statuses = at_once(
        lambda: browser.post(f"{link}step/6/", consent),
        lambda: browser.post(f"{link}step/6/", consent),
    )

    assert statuses == [302, 302]
    intake = Intake.objects.get(patient=patient)
    assert intake.status == Intake.Status.SUBMITTED
