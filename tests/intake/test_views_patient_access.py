"""Every patient page against anonymous, each role, and a user with no role."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ALL_ROLES = ["front_desk", "acupuncturist", "clinic_admin"]

# (url name, needs a patient code, HTTP method, roles allowed, success status)
PAGES = [
    ("intake:patient_list", False, "get", ALL_ROLES, 200),
    ("intake:patient_create", False, "get", ["front_desk", "clinic_admin"], 200),
    ("clinic:patient_detail", True, "get", ALL_ROLES, 200),
    ("intake:patient_update", True, "get", ["front_desk", "clinic_admin"], 200),
    ("intake:patient_archive", True, "get", ["front_desk", "clinic_admin"], 200),
    ("intake:patient_restore", True, "post", ["front_desk", "clinic_admin"], 302),
]
USERS = ["front_desk", "acupuncturist", "clinic_admin", "no_role"]


def _url(name, needs_code, patient):
    return reverse(name, kwargs={"code": patient.code}) if needs_code else reverse(name)


@pytest.mark.parametrize(("name", "needs_code", "method", "allowed", "ok"), PAGES)
def test_anonymous_visitors_are_sent_to_login(
    client, patient, name, needs_code, method, allowed, ok
):
    response = getattr(client, method)(_url(name, needs_code, patient))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("user_name", USERS)
@pytest.mark.parametrize(("name", "needs_code", "method", "allowed", "ok"), PAGES)
def test_each_role_gets_exactly_its_pages(
    client, users, patient, user_name, name, needs_code, method, allowed, ok
):
    client.force_login(users[user_name])
    response = getattr(client, method)(_url(name, needs_code, patient))
    expected = ok if user_name in allowed else 403
    assert response.status_code == expected


def test_unknown_patient_code_is_not_found(desk_client):
    url = reverse("clinic:patient_detail", kwargs={"code": "00000000-0000-4000-8000-000000000000"})
    assert desk_client.get(url).status_code == 404


def test_a_role_without_chart_access_cannot_probe_which_codes_exist(client, no_role_user):
    client.force_login(no_role_user)
    url = reverse("clinic:patient_detail", kwargs={"code": "00000000-0000-4000-8000-000000000000"})
    assert client.get(url).status_code == 403


def test_restore_refuses_get(desk_client, patient):
    url = reverse("intake:patient_restore", kwargs={"code": patient.code})
    assert desk_client.get(url).status_code == 405


def test_patient_urls_carry_the_uuid_code_not_the_row_id(desk_client, patient):
    response = desk_client.get(reverse("intake:patient_list"))
    assert f"/patients/{patient.code}/".encode() in response.content
    assert f"/patients/{patient.pk}/".encode() not in response.content
