"""Patient pages: unknown codes, probing, methods. Who may reach which page is in
tests/test_role_matrix.py."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


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
