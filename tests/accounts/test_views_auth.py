import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from intake.models import Patient
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_shows_the_form(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_staff_log_in_and_land_on_the_dashboard(client, front_desk):
    response = client.post(
        reverse("login"), {"username": "desk", "password": TEST_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("clinic:dashboard")
    assert client.session[SESSION_KEY] == str(front_desk.pk)


def test_wrong_password_is_refused_with_a_message(client, front_desk):
    response = client.post(reverse("login"), {"username": "desk", "password": "wrong-password"})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert b"invalid-feedback" in response.content
    assert b"correct username and password" in response.content


def test_logout_needs_a_post(desk_client):
    assert desk_client.get(reverse("logout")).status_code == 405
    assert SESSION_KEY in desk_client.session
    response = desk_client.post(reverse("logout"))
    assert response.status_code == 302
    assert SESSION_KEY not in desk_client.session


@pytest.mark.parametrize("password", ["short-pass1", "aaaaaaaaaaa"])
def test_passwords_shorter_than_12_characters_are_refused(password):
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password(password)


def test_password_change_applies_the_validators(desk_client, front_desk):
    response = desk_client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "Tq7-short", "new_password2": "Tq7-short"},
    )
    assert response.status_code == 200
    assert b"at least 12 characters" in response.content
    response = desk_client.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "mulberry-lantern-47-quietly",
            "new_password2": "mulberry-lantern-47-quietly",
        },
    )
    assert response.status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.check_password("mulberry-lantern-47-quietly")


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(reverse("clinic:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_front_desk_dashboard_offers_registration_and_search(desk_client):
    response = desk_client.get(reverse("clinic:dashboard"))
    assert response.status_code == 200
    assert reverse("intake:patient_create").encode() in response.content
    assert reverse("intake:patient_list").encode() in response.content
    assert reverse("admin:index").encode() not in response.content


def test_acupuncturist_dashboard_has_search_but_not_registration(client, acupuncturist):
    client.force_login(acupuncturist)
    response = client.get(reverse("clinic:dashboard"))
    assert response.status_code == 200
    assert reverse("intake:patient_list").encode() in response.content
    assert reverse("intake:patient_create").encode() not in response.content


def test_acupuncturist_dashboard_warns_of_an_expired_licence(client, acupuncturist):
    profile = acupuncturist.practitioner_profile
    profile.licence_expiry = profile.licence_expiry.replace(year=2001)
    profile.save()
    client.force_login(acupuncturist)
    response = client.get(reverse("clinic:dashboard"))
    assert b"expired on" in response.content


def test_clinic_admin_dashboard_links_to_the_admin(client, clinic_admin):
    client.force_login(clinic_admin)
    response = client.get(reverse("clinic:dashboard"))
    assert reverse("admin:index").encode() in response.content
    assert reverse("intake:patient_create").encode() in response.content


def test_user_without_a_role_is_told_to_ask_for_one(client, no_role_user):
    client.force_login(no_role_user)
    response = client.get(reverse("clinic:dashboard"))
    assert response.status_code == 200
    assert b"no role yet" in response.content
    assert reverse("intake:patient_list").encode() not in response.content


def test_django_admin_is_for_the_clinic_admin_only(client, users):
    url = reverse("admin:index")
    assert client.get(url).status_code == 302
    for name in ("front_desk", "acupuncturist", "no_role"):
        client.force_login(users[name])
        response = client.get(url)
        assert response.status_code == 302, name
        assert reverse("admin:login") in response["Location"]
    client.force_login(users["clinic_admin"])
    assert client.get(url).status_code == 200


def test_admin_cannot_delete_a_patient_even_in_the_django_admin(client, clinic_admin, patient):
    client.force_login(clinic_admin)
    url = reverse("admin:intake_patient_delete", args=[patient.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_healthz_answers_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


def test_healthz_reports_a_database_failure(client, monkeypatch):
    from django.db import DatabaseError
    from django.db.backends.utils import CursorWrapper

    def broken_execute(self, *args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", broken_execute)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content != b"ok"


def test_password_change_needs_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
