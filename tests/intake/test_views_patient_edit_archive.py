import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic import views as clinic_views
from intake.forms import DemographicsValidation
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
        "reminder_channel": patient.reminder_channel,
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


# --- The reminder preference on the demographics form and the chart ----------------------


def _chart(client, patient) -> str:
    return client.get(
        reverse("clinic:patient_detail", kwargs={"code": patient.code})
    ).content.decode()


def _errors(response) -> str:
    found = re.findall(
        r'class="invalid-feedback[^"]*"[^>]*>(.*?)</div>', response.content.decode(), re.S
    )
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)) for text in found)


def test_the_demographics_form_offers_the_reminder_preference_set_to_none_at_first(
    desk_client, patient
):
    page = desk_client.get(reverse("intake:patient_update", kwargs={"code": patient.code}))
    content = page.content.decode()
    assert "Appointment reminders" in content
    assert re.search(r'name="reminder_channel" value="none"[^>]*checked', content)


def test_the_desk_changing_the_reminder_preference_records_who_and_when(
    desk_client, patient, front_desk
):
    url = reverse("intake:patient_update", kwargs={"code": patient.code})

    response = desk_client.post(url, _edit_form(patient, reminder_channel="email"))

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.reminder_channel == "email"
    assert patient.reminder_consent_by == front_desk
    assert patient.reminder_consent_at is not None
    chart = _chart(desk_client, patient)
    assert 'data-reminder-channel="email"' in chart
    assert f"recorded by {front_desk}" in html.unescape(chart)


def test_saving_other_details_does_not_touch_who_chose_the_reminders(
    client, patient, front_desk, clinic_admin
):
    client.force_login(front_desk)
    url = reverse("intake:patient_update", kwargs={"code": patient.code})
    client.post(url, _edit_form(patient, reminder_channel="sms"))
    patient.refresh_from_db()
    chosen = (patient.reminder_consent_by, patient.reminder_consent_at)

    client.force_login(clinic_admin)
    client.post(url, _edit_form(patient, address="2 High Street"))

    patient.refresh_from_db()
    assert patient.address == "2 High Street"
    assert (patient.reminder_consent_by, patient.reminder_consent_at) == chosen


def test_email_reminders_without_an_email_address_are_a_field_error(desk_client, patient):
    url = reverse("intake:patient_update", kwargs={"code": patient.code})

    response = desk_client.post(url, _edit_form(patient, email="", reminder_channel="email"))

    assert response.status_code == 200
    assert "Email reminders need an email address" in _errors(response)
    patient.refresh_from_db()
    assert (patient.reminder_channel, patient.email) == ("none", "jane.doe@example.com")


def test_the_service_refusal_is_shown_on_the_field_too(desk_client, patient, monkeypatch):
    # The form's own check skipped: the service still refuses, next to the field.
    monkeypatch.setattr(
        DemographicsValidation, "check_reminder_channel", lambda self, cleaned: None
    )
    url = reverse("intake:patient_update", kwargs={"code": patient.code})

    response = desk_client.post(url, _edit_form(patient, email="", reminder_channel="email"))

    assert response.status_code == 200
    assert "Email reminders need an email address" in _errors(response)
    patient.refresh_from_db()
    assert patient.reminder_channel == "none"


def test_the_chart_says_when_no_reminder_preference_was_given(desk_client, patient):
    chart = _chart(desk_client, patient)
    assert 'data-reminder-channel="none"' in chart
    assert "not chosen yet" in chart


def test_the_chart_shows_the_patients_own_choice(desk_client, patient):
    Patient.objects.filter(pk=patient.pk).update(
        reminder_channel="email", reminder_consent_at=timezone.now()
    )
    assert "the patient's own choice" in _chart(desk_client, patient)


def test_the_chart_warns_that_text_reminders_will_not_be_sent_while_sms_is_off(
    desk_client, patient, settings
):
    settings.SMS_BACKEND = ""
    Patient.objects.filter(pk=patient.pk).update(
        reminder_channel="sms", reminder_consent_at=timezone.now()
    )

    chart = _chart(desk_client, patient)

    assert 'data-alert="sms-off"' in chart
    assert "Text messages are off in this clinic, so no text reminders will be sent." in chart


def test_no_sms_warning_when_text_messages_are_on_or_not_chosen(desk_client, patient, monkeypatch):
    monkeypatch.setattr(clinic_views, "sms_enabled", lambda: True)
    Patient.objects.filter(pk=patient.pk).update(reminder_channel="sms")
    assert 'data-alert="sms-off"' not in _chart(desk_client, patient)

    monkeypatch.setattr(clinic_views, "sms_enabled", lambda: False)
    Patient.objects.filter(pk=patient.pk).update(reminder_channel="email")
    assert 'data-alert="sms-off"' not in _chart(desk_client, patient)


@pytest.mark.parametrize("role", ["acupuncturist", "no_role"])
def test_only_the_desk_and_the_admin_can_change_the_reminder_preference(
    client, users, patient, role
):
    client.force_login(users[role])
    url = reverse("intake:patient_update", kwargs={"code": patient.code})

    response = client.post(url, _edit_form(patient, reminder_channel="sms"))

    assert response.status_code == 403
    patient.refresh_from_db()
    assert (patient.reminder_channel, patient.reminder_consent_at) == ("none", None)
