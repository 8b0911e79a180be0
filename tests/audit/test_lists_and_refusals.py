"""Reads the trail missed, and refusals the log over-told (security review, findings
6, 7 and 9).

- The patient list and search results record which charts were shown, never the
  search terms; patient pages opened in /admin/ are recorded as in the app.
- A refused request is one log line (path with any token redacted, user, reason),
  not a traceback.
- Pages that only show something answer POST with 405.
"""

import logging
import secrets

import pytest
from django.test import Client

from audit.models import AuditEntry
from tests.factories import PatientFactory, UserFactory, make_invitation

pytestmark = pytest.mark.django_db

Event = AuditEntry.Event


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Lists of charts -------------------------------------------------------------------


def test_the_patient_list_records_each_chart_shown_and_not_the_search(front_desk, settings):
    settings.PATIENTS_PER_PAGE = 2
    shown = [PatientFactory(last_name=f"Quill{n}", created_by=front_desk) for n in range(3)]
    PatientFactory(last_name="Other", created_by=front_desk)

    response = as_user(front_desk).get("/patients/", {"q": "Quill"})

    assert response.status_code == 200
    listed = AuditEntry.objects.filter(event=Event.LISTED)
    on_page = [p.pk for p in response.context["page"].object_list]
    assert sorted(listed.values_list("patient_id", flat=True)) == sorted(on_page)
    assert len(on_page) == 2
    assert set(on_page) <= {p.pk for p in shown}
    for entry in listed:
        assert entry.actor == front_desk
        assert entry.path == "/patients/"
        assert "Quill" not in str(AuditEntry.objects.filter(pk=entry.pk).values().get())


def test_an_empty_result_records_nothing(front_desk):
    as_user(front_desk).get("/patients/", {"q": "Nobody"})

    assert not AuditEntry.objects.filter(event=Event.LISTED).exists()


def test_the_trail_of_one_patient_shows_who_saw_them_in_a_list(front_desk, clinic_admin):
    patient = PatientFactory(last_name="Quill", created_by=front_desk)
    as_user(front_desk).get("/patients/", {"q": "Quill"})

    page = as_user(clinic_admin).get("/audit/", {"patient": str(patient.code)})

    assert b'data-event="listed"' in page.content


def test_patient_pages_viewed_in_the_admin_are_in_the_trail(clinic_admin, front_desk, superuser):
    patient = PatientFactory(last_name="Quill", created_by=front_desk)
    admin = as_user(superuser)

    assert admin.get("/admin/intake/patient/").status_code == 200
    assert admin.get(f"/admin/intake/patient/{patient.pk}/change/").status_code == 200

    listed = AuditEntry.objects.get(event=Event.LISTED, patient=patient)
    read = AuditEntry.objects.get(event=Event.READ, patient=patient)
    assert listed.actor == read.actor == superuser
    assert read.path == f"/admin/intake/patient/{patient.pk}/change/"


# --- Refusals are one line ---------------------------------------------------------------


def test_a_refused_page_is_one_log_line_with_the_user_and_reason(front_desk, acupuncturist, caplog):
    patient = PatientFactory(created_by=front_desk)
    session_page = f"/patients/{patient.code}/sessions/new/"

    with caplog.at_level(logging.INFO):
        response = as_user(front_desk).get(session_page)

    assert response.status_code == 403
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in lines] == [
        f"Forbidden (no permission for this page): {session_page} user=desk"
    ]
    assert not any(r.exc_info for r in caplog.records)
    assert "Traceback" not in caplog.text


def test_a_csrf_refusal_on_a_link_is_one_line_without_the_token(front_desk, caplog):
    patient = PatientFactory(created_by=front_desk)
    _invitation, token, link = make_invitation(patient, created_by=front_desk)

    with caplog.at_level(logging.INFO):
        response = Client(enforce_csrf_checks=True).post(f"{link}step/1/", {"first_name": "x"})

    assert response.status_code == 403
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert lines == ["Forbidden (CSRF cookie not set.): /intake/[token]/step/1/ user=anonymous"]
    assert token not in caplog.text


def test_an_unknown_links_refusal_keeps_its_token_out_too(caplog):
    token = secrets.token_urlsafe(32)

    with caplog.at_level(logging.INFO):
        Client(enforce_csrf_checks=True).post(f"/intake/{token}/step/2/")

    assert token not in caplog.text


# --- Show-only pages refuse POST -----------------------------------------------------------


@pytest.fixture
def show_only_pages(front_desk):
    patient = PatientFactory(created_by=front_desk)
    return ["/", "/patients/", f"/patients/{patient.code}/", "/intakes/"]


def test_pages_that_only_show_answer_post_with_405(clinic_admin, show_only_pages):
    admin = as_user(clinic_admin)

    for path in show_only_pages:
        assert admin.get(path).status_code == 200, path
        assert admin.post(path, {"q": "x"}).status_code == 405, path
