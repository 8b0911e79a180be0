import datetime

import pytest
from django.urls import reverse

from intake.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _edit_form(patient, **overrides):
    data = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "preferred_name": patient.preferred_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        "phone": patient.phone,
        "email": patient.email,
        "address": patient.address,
        "emergency_contact_name": patient.emergency_contact_name,
        "emergency_contact_relationship": patient.emergency_contact_relationship,
        "emergency_contact_phone": patient.emergency_contact_phone,
        "version": str(patient.version),
    }
    data.update(overrides)
    return data


def test_edit_form_opens_with_the_current_demographics(desk_client, patient):
    response = desk_client.get(reverse("intake:patient_update", kwargs={"code": patient.code}))
    content = response.content.decode()
    assert 'value="Jane"' in content
    assert f'value="{patient.date_of_birth.isoformat()}"' in content


def test_front_desk_edits_demographics_and_the_change_is_attributed(client, patient, clinic_admin):
    client.force_login(clinic_admin)
    url = reverse("intake:patient_update", kwargs={"code": patient.code})
    response = client.post(url, _edit_form(patient, phone="415-555-0199", email="jd@example.org"))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "+14155550199"
    assert patient.email == "jd@example.org"
    assert patient.updated_by == clinic_admin
    assert patient.created_by != clinic_admin


def test_a_bad_edit_changes_nothing_and_keeps_what_was_typed(desk_client, patient):
    url = reverse("intake:patient_update", kwargs={"code": patient.code})
    response = desk_client.post(url, _edit_form(patient, first_name="Janet", phone="not a phone"))
    assert response.status_code == 200
    assert 'value="Janet"' in response.content.decode()
    patient.refresh_from_db()
    assert patient.first_name == "Jane"


def test_editing_into_another_patients_name_and_birth_date_asks_first(desk_client, patient):
    other = PatientFactory(first_name="John", last_name="Roe", date_of_birth=patient.date_of_birth)
    url = reverse("intake:patient_update", kwargs={"code": patient.code})
    response = desk_client.post(url, _edit_form(patient, first_name="John", last_name="Roe"))
    assert response.status_code == 200
    assert response.context["duplicates"] == [other]
    patient.refresh_from_db()
    assert patient.first_name == "Jane"


def test_saving_unchanged_demographics_is_not_its_own_duplicate(desk_client, patient):
    url = reverse("intake:patient_update", kwargs={"code": patient.code})
    assert desk_client.post(url, _edit_form(patient)).status_code == 302


def test_archiving_keeps_the_chart_and_records_who_and_why(desk_client, patient, front_desk):
    url = reverse("intake:patient_archive", kwargs={"code": patient.code})
    response = desk_client.post(url, {"reason": "Moved to Seattle"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.status == Patient.Status.ARCHIVED
    assert patient.archived_by == front_desk
    assert patient.archive_reason == "Moved to Seattle"
    assert patient.archived_at is not None
    chart = desk_client.get(reverse("clinic:patient_detail", kwargs={"code": patient.code}))
    assert chart.status_code == 200
    assert b"Moved to Seattle" in chart.content


def test_archived_patients_leave_the_default_list_but_stay_findable(desk_client, patient):
    desk_client.post(reverse("intake:patient_archive", kwargs={"code": patient.code}), {})
    active = desk_client.get(reverse("intake:patient_list"))
    assert patient not in active.context["page"].object_list
    archived = desk_client.get(reverse("intake:patient_list"), {"status": "archived"})
    assert patient in archived.context["page"].object_list


def test_archiving_twice_keeps_the_first_record(desk_client, patient, front_desk):
    url = reverse("intake:patient_archive", kwargs={"code": patient.code})
    desk_client.post(url, {"reason": "first"})
    desk_client.post(url, {"reason": "second"})
    patient.refresh_from_db()
    assert patient.archive_reason == "first"


def test_restoring_an_archived_chart_makes_it_active(desk_client, patient):
    desk_client.post(reverse("intake:patient_archive", kwargs={"code": patient.code}), {})
    response = desk_client.post(reverse("intake:patient_restore", kwargs={"code": patient.code}))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.status == Patient.Status.ACTIVE
    assert patient.archived_at is None


def test_the_database_refuses_an_archived_chart_without_a_date(patient):
    from django.db import IntegrityError, transaction

    patient.status = Patient.Status.ARCHIVED
    with pytest.raises(IntegrityError), transaction.atomic():
        patient.save()


def test_the_database_refuses_an_implausible_birth_date(front_desk):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(date_of_birth=datetime.date(1850, 1, 1), created_by=front_desk)
