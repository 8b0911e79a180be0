import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "/patients/new/"


def _form(**overrides):
    data = {
        "first_name": "Maria",
        "last_name": "Lopez",
        "preferred_name": "",
        "date_of_birth": "1980-05-17",
        "sex": "female",
        "phone": "(415) 555-0123",
        "email": "maria.lopez@example.com",
        "address": "12 Mission St\nSan Francisco",
        "emergency_contact_name": "Carlos Lopez",
        "emergency_contact_relationship": "Brother",
        "emergency_contact_phone": "415 555 0124",
    }
    data.update(overrides)
    return data


def _errors(response, field):
    return [str(error) for error in response.context["form"].errors.get(field, [])]


def test_contract_url_for_registration():
    assert reverse("intake:patient_create") == URL


def test_front_desk_registers_a_patient_and_lands_on_the_chart(desk_client, front_desk):
    response = desk_client.post(URL, _form())
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:patient_detail", kwargs={"code": patient.code})
    assert patient.full_name == "Maria Lopez"
    assert patient.date_of_birth == datetime.date(1980, 5, 17)
    assert patient.phone == "+14155550123"
    assert patient.emergency_contact_phone == "+14155550124"
    assert patient.status == Patient.Status.ACTIVE
    assert patient.created_by == front_desk
    assert patient.created_at is not None


def test_the_chart_shows_the_demographics(desk_client):
    desk_client.post(URL, _form(preferred_name="Mari"))
    patient = Patient.objects.get()
    response = desk_client.get(reverse("clinic:patient_detail", kwargs={"code": patient.code}))
    content = response.content.decode()
    for text in [
        "Maria",
        "Mari",
        "Lopez",
        "1980-05-17",
        "(415) 555-0123",
        "maria.lopez@example.com",
    ]:
        assert text in content
    assert "Carlos Lopez" in content


def test_date_of_birth_in_the_future_is_refused_and_the_rest_is_kept(desk_client):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = desk_client.post(URL, _form(date_of_birth=tomorrow.isoformat()))
    assert response.status_code == 200
    assert _errors(response, "date_of_birth") == ["Date of birth cannot be in the future."]
    assert not Patient.objects.exists()
    content = response.content.decode()
    assert 'value="Maria"' in content
    assert 'value="maria.lopez@example.com"' in content
    assert "12 Mission St" in content
    assert 'class="invalid-feedback"' in content


@pytest.mark.parametrize("dob", ["1850-01-01", "1899-12-31"])
def test_absurdly_old_date_of_birth_is_refused(desk_client, dob):
    response = desk_client.post(URL, _form(date_of_birth=dob))
    assert "over 120" in _errors(response, "date_of_birth")[0]
    assert not Patient.objects.exists()


@pytest.mark.parametrize("dob", ["17/05/1980", "1980-02-30", "yesterday", "1980-5"])
def test_malformed_date_of_birth_is_refused(desk_client, dob):
    response = desk_client.post(URL, _form(date_of_birth=dob))
    assert _errors(response, "date_of_birth") == ["Enter a valid date."]


def test_newborn_registered_today_is_accepted(desk_client):
    desk_client.post(URL, _form(date_of_birth=timezone.localdate().isoformat()))
    assert Patient.objects.count() == 1


@pytest.mark.parametrize("phone", ["12", "555-CALL-NOW", "+1 415 555 01", "0000000000"])
def test_invalid_phone_is_refused(desk_client, phone):
    response = desk_client.post(URL, _form(phone=phone))
    assert "Enter a valid phone number" in _errors(response, "phone")[0]
    assert not Patient.objects.exists()


def test_international_phone_is_kept_in_international_form(desk_client):
    desk_client.post(URL, _form(phone="+44 20 7946 0958"))
    assert Patient.objects.get().phone == "+442079460958"


@pytest.mark.parametrize("email", ["maria@", "maria.example.com", "maria@@example.com"])
def test_invalid_email_is_refused(desk_client, email):
    response = desk_client.post(URL, _form(email=email))
    assert _errors(response, "email") == ["Enter a valid email address."]


def test_email_is_optional(desk_client):
    desk_client.post(URL, _form(email=""))
    assert Patient.objects.get().email == ""


def test_every_missing_required_field_is_named(desk_client):
    response = desk_client.post(URL, {})
    form = response.context["form"]
    assert set(form.errors) == {"first_name", "last_name", "date_of_birth", "sex", "phone"}
    assert response.content.decode().count('class="invalid-feedback"') >= 5


def test_emergency_phone_without_a_name_asks_for_the_name(desk_client):
    response = desk_client.post(URL, _form(emergency_contact_name=""))
    assert "name" in _errors(response, "emergency_contact_name")[0]


def test_huge_text_gets_a_field_error_not_a_crash(desk_client):
    response = desk_client.post(URL, _form(first_name="A" * 100_000, address="x" * 10_000))
    assert response.status_code == 200
    assert "at most 100 characters" in _errors(response, "first_name")[0]
    assert "at most 500 characters" in _errors(response, "address")[0]
    assert not Patient.objects.exists()


def test_null_characters_are_refused(desk_client):
    response = desk_client.post(URL, _form(last_name="Lo\x00pez"))
    assert _errors(response, "last_name") == ["Null characters are not allowed."]


def test_unknown_sex_value_is_refused(desk_client):
    response = desk_client.post(URL, _form(sex="robot"))
    assert "not one of the available choices" in _errors(response, "sex")[0]


def test_markup_in_a_name_is_shown_as_text(desk_client):
    desk_client.post(URL, _form(first_name="<script>alert(1)</script>"))
    patient = Patient.objects.get()
    response = desk_client.get(reverse("clinic:patient_detail", kwargs={"code": patient.code}))
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


def test_acupuncturist_cannot_register_a_patient(client, acupuncturist):
    client.force_login(acupuncturist)
    assert client.post(URL, _form()).status_code == 403
    assert not Patient.objects.exists()


class TestDuplicateGuard:
    def test_same_name_and_birth_date_shows_the_existing_chart_instead_of_saving(
        self, desk_client, front_desk
    ):
        existing = PatientFactory(
            first_name="Maria",
            last_name="Lopez",
            date_of_birth=datetime.date(1980, 5, 17),
            created_by=front_desk,
        )
        response = desk_client.post(URL, _form(first_name="MARIA ", last_name="lopez"))
        assert response.status_code == 200
        assert Patient.objects.count() == 1
        assert response.context["duplicates"] == [existing]
        content = response.content.decode()
        assert reverse("clinic:patient_detail", kwargs={"code": existing.code}) in content
        assert "different person" in content
        assert 'value="maria.lopez@example.com"' in content

    def test_confirming_a_different_person_registers_a_second_chart(self, desk_client):
        desk_client.post(URL, _form())
        first = desk_client.post(URL, _form())
        key = first.context["form"].duplicate_key()
        response = desk_client.post(URL, _form(confirm_duplicate=key))
        assert response.status_code == 302
        assert Patient.objects.count() == 2

    def test_a_confirmation_for_other_details_does_not_carry_over(self, desk_client):
        desk_client.post(URL, _form())
        desk_client.post(URL, _form(first_name="Ana"))
        other_key = desk_client.post(URL, _form(first_name="Ana")).context["form"].duplicate_key()
        response = desk_client.post(URL, _form(confirm_duplicate=other_key))
        assert response.status_code == 200
        assert Patient.objects.filter(first_name="Maria").count() == 1

    def test_a_double_submitted_registration_creates_one_chart(self, desk_client):
        first = desk_client.post(URL, _form())
        second = desk_client.post(URL, _form())
        assert first.status_code == 302
        assert second.status_code == 200
        assert Patient.objects.count() == 1

    def test_same_name_with_another_birth_date_is_not_a_duplicate(self, desk_client):
        desk_client.post(URL, _form())
        response = desk_client.post(URL, _form(date_of_birth="1981-05-17"))
        assert response.status_code == 302
        assert Patient.objects.count() == 2

    def test_archived_charts_are_matched_too(self, desk_client, front_desk):
        PatientFactory(
            first_name="Maria",
            last_name="Lopez",
            date_of_birth=datetime.date(1980, 5, 17),
            status=Patient.Status.ARCHIVED,
            archived_at=timezone.now(),
            created_by=front_desk,
        )
        response = desk_client.post(URL, _form())
        assert response.status_code == 200
        assert "Archived" in response.content.decode()


class TestDuplicateGuardForNearDuplicates:
    """Registering someone born the same day as a chart with a name alike, or the same
    phone or email, asks first, as for the same name."""

    def _garcia(self, front_desk, **fields):
        return PatientFactory(
            **{
                "first_name": "Tomás",
                "last_name": "García",
                "date_of_birth": datetime.date(1958, 3, 14),
                "phone": "+14155550134",
                "email": "",
                "created_by": front_desk,
                **fields,
            }
        )

    def _tomas(self, **overrides):
        return _form(
            **{
                "first_name": "Tomas",
                "last_name": "Garcia",
                "date_of_birth": "1958-03-14",
                "phone": "(415) 555-0134",
                "email": "",
                **overrides,
            }
        )

    def test_the_name_without_accents_asks_first_and_says_why(self, desk_client, front_desk):
        existing = self._garcia(front_desk)
        response = desk_client.post(URL, self._tomas())
        assert response.status_code == 200
        assert Patient.objects.count() == 1
        assert response.context["duplicates"] == [existing]
        content = response.content.decode()
        assert (
            "the same date of birth and a similar name, the same phone or the same email" in content
        )
        assert "Matched on: same name, same phone." in content
        assert 'name="confirm_duplicate"' in content
        assert 'value="Tomas"' in content

    def test_a_name_one_typo_apart_with_the_same_phone_asks_first(self, desk_client, front_desk):
        existing = self._garcia(front_desk, first_name="Lena", last_name="Fischer")
        response = desk_client.post(URL, self._tomas(first_name="Lena", last_name="Fisher"))
        assert response.context["duplicates"] == [existing]
        assert "Matched on: name one typo apart, same phone." in response.content.decode()
        assert Patient.objects.count() == 1

    def test_the_same_email_born_the_same_day_asks_first(self, desk_client, front_desk):
        existing = self._garcia(
            front_desk, first_name="Eva", phone="+14155550999", email="tg@example.org"
        )
        response = desk_client.post(URL, self._tomas(email="TG@example.org"))
        assert response.context["duplicates"] == [existing]
        assert "Matched on: same email." in response.content.decode()

    def test_confirming_registers_the_second_chart(self, desk_client, front_desk):
        self._garcia(front_desk)
        key = desk_client.post(URL, self._tomas()).context["form"].duplicate_key()
        response = desk_client.post(URL, self._tomas(confirm_duplicate=key))
        assert response.status_code == 302
        assert Patient.objects.count() == 2

    def test_a_confirmation_does_not_hold_once_the_phone_is_changed(self, desk_client, front_desk):
        self._garcia(front_desk)
        PatientFactory(
            first_name="Eva",
            last_name="Lindqvist",
            date_of_birth=datetime.date(1958, 3, 14),
            phone="+14155550177",
            created_by=front_desk,
        )
        key = desk_client.post(URL, self._tomas()).context["form"].duplicate_key()
        response = desk_client.post(
            URL, self._tomas(first_name="Tom", phone="415 555 0177", confirm_duplicate=key)
        )
        assert response.status_code == 200
        assert [p.first_name for p in response.context["duplicates"]] == ["Eva"]
        assert Patient.objects.count() == 2

    def test_a_chart_born_another_day_does_not_ask(self, desk_client, front_desk):
        self._garcia(front_desk)
        response = desk_client.post(URL, self._tomas(date_of_birth="1958-03-15"))
        assert response.status_code == 302
        assert Patient.objects.count() == 2

    def test_bad_input_beside_a_near_duplicate_is_shown_at_the_field_and_nothing_is_saved(
        self, desk_client, front_desk
    ):
        self._garcia(front_desk)
        response = desk_client.post(URL, self._tomas(date_of_birth="03/14/1958x"))
        assert response.status_code == 200
        assert _errors(response, "date_of_birth")
        assert response.context["duplicates"] == []
        assert 'class="invalid-feedback' in response.content.decode()
        assert Patient.objects.count() == 1
