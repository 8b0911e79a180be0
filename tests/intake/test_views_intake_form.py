"""The patient's online intake, step by step, through the Django test client."""

import html
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import Clinic
from intake.models import Intake, IntakeMedication, IntakePainRegion, Patient
from tests.factories import SCREENING_NO, PatientFactory, make_invitation

STEP_ANSWERS = {
    1: {
        "preferred_name": "Janie",
        "phone": "(415) 555-0100",
        "email": "jane.doe@example.com",
        "address": "1 Main Street",
        "emergency_contact_name": "John Doe",
        "emergency_contact_relationship": "Husband",
        "emergency_contact_phone": "415 555 0101",
        "reminder_channel": "sms",
    },
    2: {
        "pain_types": ["neck_pain", "migraine"],
        "headache_days": "8",
        "pain_now": "7",
        "pain_worst": "9",
        "pain_locations": ["neck", "head"],
        "pain_location_score_neck": "7",
        "pain_location_score_shoulders": "4",
        "months_with_pain": "18",
        "onset": "gradual",
        "cause": "repetitive_strain",
        "triggers": ["stress", "screen_time"],
        "pain_notes": "Worse in the evening.",
    },
    3: {
        "psfs_activity_1": "Turning my head to drive",
        "psfs_score_1": "3",
        "psfs_activity_2": "Reading",
        "psfs_score_2": "5",
    },
    4: {
        "medications-TOTAL_FORMS": "2",
        "medications-INITIAL_FORMS": "0",
        "medications-0-name": "Ibuprofen",
        "medications-0-dose": "400 mg",
        "medications-0-frequency": "twice a day",
        "medications-0-for_pain": "on",
        "medications-1-name": "Sertraline",
        "medications-1-dose": "50 mg",
    },
    5: {
        **SCREENING_NO,
        "anticoagulants": "yes",
        "previous_acupuncture": "no",
        "goals": "Drive without pain.",
    },
}
CONSENT = {
    "consent_to_treatment": "on",
    "privacy_acknowledged": "on",
    "signature_name": "Jane Doe",
}


@pytest.fixture
def link(patient, front_desk):
    _invitation, _token, path = make_invitation(patient, created_by=front_desk)
    return path


def step_url(link: str, step: int) -> str:
    return f"{link}step/{step}/"


def post_step(client, link, step, data, **extra):
    return client.post(step_url(link, step), data, **extra)


def fill_steps(client, link, steps=(1, 2, 3, 4, 5)):
    for step in steps:
        response = post_step(client, link, step, STEP_ANSWERS[step])
        assert response.status_code == 302, response.content.decode()[:2000]


def the_intake(patient) -> Intake:
    return Intake.objects.get(patient=patient)


def errors(response) -> list[str]:
    """The texts of the form errors on the page (CONTRACT: class invalid-feedback)."""
    found = re.findall(
        r'class="invalid-feedback[^"]*"[^>]*>\s*(?:<p[^>]*><strong>)?([^<]+)',
        response.content.decode(),
    )
    return [html.unescape(text) for text in found]


class TestTheWholeFlow:
    def test_invite_fill_every_step_submit_and_review(self, client, link, patient, acupuncturist):
        response = client.get(link)
        assert response.status_code == 302
        assert response["Location"] == step_url(link, 1)

        fill_steps(client, link)
        response = post_step(client, link, 6, CONSENT, REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 302
        assert response["Location"] == link

        thanks = client.get(link)
        assert thanks.status_code == 200
        assert b"Thank you, we have your answers" in thanks.content

        intake = the_intake(patient)
        assert intake.status == Intake.Status.SUBMITTED
        assert intake.pain_types == ["neck_pain", "migraine"]
        assert (intake.pain_now, intake.pain_worst, intake.months_with_pain) == (7, 9, 18)
        assert intake.headache_days == 8
        assert intake.triggers == ["stress", "screen_time"]
        assert dict(intake.regions.values_list("region", "score")) == {
            "neck": 7,
            "head": None,
            "shoulders": 4,  # a score given without the tick counts as ticked
        }
        assert intake.psfs_items == [("Turning my head to drive", 3), ("Reading", 5)]
        assert intake.psfs_mean == 4.0
        assert list(intake.medications.values_list("name", "dose", "for_pain")) == [
            ("Ibuprofen", "400 mg", True),
            ("Sertraline", "50 mg", False),
        ]
        assert intake.anticoagulants == "yes"
        assert intake.safety_flags() == ["Bleeding risk"]
        # Consent: the typed name, the time and the address it came from.
        assert intake.signature_name == "Jane Doe"
        assert intake.consented_at is not None
        assert intake.consent_ip == "203.0.113.7"

        # The contact details the patient gave are now on the chart.
        patient.refresh_from_db()
        assert patient.emergency_contact_name == "John Doe"
        assert patient.emergency_contact_phone == "+14155550101"
        assert patient.updated_by is None
        assert set(intake.contact_changes) >= {"address", "emergency_contact_name"}

        staff = Client()
        staff.force_login(acupuncturist)
        chart = staff.get(reverse("clinic:patient_detail", kwargs={"code": patient.code}))
        assert b'data-intake-status="submitted"' in chart.content
        assert b"Sertraline" in chart.content
        response = staff.post(reverse("intake:intake_review", kwargs={"code": intake.code}))
        assert response.status_code == 302
        intake.refresh_from_db()
        assert intake.status == Intake.Status.REVIEWED
        assert intake.reviewed_by == acupuncturist

    def test_each_step_page_says_which_step_it_is(self, client, link):
        Clinic.objects.filter(pk=Clinic.current().pk).update(name="Harbour Acupuncture")
        fill_steps(client, link)
        for step in range(1, 7):
            page = client.get(step_url(link, step)).content.decode()
            assert f"Step {step} of 6" in page
            title = re.search(r"<title>(.*)</title>", page).group(1)
            assert title.startswith(f"Step {step} of 6: ")
            assert title.endswith(" · Harbour Acupuncture")
            assert "AcuClinic" not in title

    def test_every_input_has_a_label(self, client, link):
        fill_steps(client, link)
        for step in range(1, 7):
            page = client.get(step_url(link, step)).content.decode()
            ids = re.findall(
                r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page
            )
            assert ids, step
            for input_id in ids:
                assert f'for="{input_id}"' in page, f"step {step}: #{input_id} has no label"

    def test_steps_open_in_order(self, client, link):
        response = client.get(step_url(link, 4))
        assert response.status_code == 302
        assert response["Location"] == step_url(link, 1)
        fill_steps(client, link, steps=(1,))
        assert client.get(step_url(link, 2)).status_code == 200
        assert client.get(step_url(link, 3)).status_code == 302
        assert client.get(step_url(link, 7)).status_code == 302

    def test_back_saves_the_step_and_goes_back(self, client, link, patient):
        fill_steps(client, link, steps=(1, 2))
        response = post_step(client, link, 3, {**STEP_ANSWERS[3], "action": "back"})
        assert response["Location"] == step_url(link, 2)
        assert the_intake(patient).psfs_activity_1 == "Turning my head to drive"

    def test_back_from_a_step_left_unanswered_goes_back_without_saving(self, client, link, patient):
        fill_steps(client, link, steps=(1, 2, 3, 4))
        response = post_step(client, link, 5, {"action": "back"})
        assert response.status_code == 302
        assert response["Location"] == step_url(link, 4)
        assert 5 not in the_intake(patient).completed_steps

    def test_back_with_a_mistake_typed_shows_it_and_keeps_the_rest(self, client, link, patient):
        fill_steps(client, link, steps=(1, 2))
        data = {**STEP_ANSWERS[3], "psfs_score_1": "11", "action": "back"}
        response = post_step(client, link, 3, data)
        assert response.status_code == 200
        page = response.content.decode()
        assert "invalid-feedback" in page
        assert "Turning my head to drive" in page
        assert 3 not in the_intake(patient).completed_steps

    def test_submit_is_refused_until_the_required_steps_are_saved(self, client, link, patient):
        fill_steps(client, link)
        # As if step 2 had never been saved (e.g. a draft from before a change).
        Intake.objects.filter(patient=patient).update(completed_steps=[1, 3, 4, 5])
        response = client.get(step_url(link, 6))
        assert response.status_code == 200
        response = post_step(client, link, 6, CONSENT)
        assert response.status_code == 200
        assert "Step 2: Your pain" in response.content.decode()
        assert the_intake(patient).status == Intake.Status.DRAFT


class TestResume:
    def test_a_draft_resumes_on_another_device_at_the_first_unsaved_step(self, link, patient):
        phone = Client()
        fill_steps(phone, link, steps=(1, 2))
        laptop = Client()
        response = laptop.get(link)
        assert response["Location"] == step_url(link, 3)
        page = laptop.get(step_url(link, 2)).content.decode()
        assert 'value="7"' in page  # pain now, as typed on the phone
        assert "Worse in the evening." in page
        assert re.search(r'value="neck_pain"[^>]*checked', page)

    def test_a_new_link_continues_the_same_draft(self, client, link, patient, front_desk):
        fill_steps(client, link, steps=(1, 2))
        _invitation, _token, new_link = make_invitation(patient, created_by=front_desk)
        assert client.get(link).status_code == 410  # the old link is replaced
        assert client.get(new_link)["Location"] == step_url(new_link, 3)
        assert Intake.objects.filter(patient=patient).count() == 1

    def test_saved_medications_come_back_with_an_empty_row(self, client, link):
        fill_steps(client, link, steps=(1, 2, 3, 4))
        page = client.get(step_url(link, 4)).content.decode()
        assert 'value="Ibuprofen"' in page and 'value="Sertraline"' in page
        assert 'name="medications-TOTAL_FORMS" value="3"' in page

    def test_add_another_medicine_saves_and_offers_a_row(self, client, link, patient):
        fill_steps(client, link, steps=(1, 2, 3))
        data = {
            "medications-TOTAL_FORMS": "1",
            "medications-INITIAL_FORMS": "0",
            "medications-0-name": "Naproxen",
            "action": "add_row",
        }
        response = post_step(client, link, 4, data)
        assert response["Location"] == step_url(link, 4) + "#add-medicine"
        assert list(the_intake(patient).medications.values_list("name", flat=True)) == ["Naproxen"]

    def test_a_medicine_can_be_removed(self, client, link, patient):
        fill_steps(client, link, steps=(1, 2, 3, 4))
        data = {
            "medications-TOTAL_FORMS": "2",
            "medications-INITIAL_FORMS": "2",
            "medications-0-name": "Ibuprofen",
            "medications-1-name": "Sertraline",
            "medications-1-DELETE": "on",
        }
        post_step(client, link, 4, data)
        assert list(IntakeMedication.objects.values_list("name", flat=True)) == ["Ibuprofen"]


# Each case: (step, field, bad value, words of the message).
INVALID = [
    (2, "pain_now", "11", "from 0 (no pain) to 10"),
    (2, "pain_now", "-1", "from 0 (no pain) to 10"),
    (2, "pain_worst", "seven", "from 0 (no pain) to 10"),
    (2, "pain_now", "", "from 0 (no pain) to 10"),
    (2, "headache_days", "31", "from 0 to 30"),
    (2, "headache_days", "", "how many of the last 30 days"),
    (2, "months_with_pain", "601", "from 0 to 600"),
    (2, "months_with_pain", "2.5", "from 0 to 600"),
    (2, "pain_location_score_neck", "12", "from 0 to 10"),
    (2, "pain_location_side_legs", "up", "left side, right side or both sides"),
    (2, "pain_types", ["back_ache"], "from the list"),
    (2, "pain_notes", "x" * 2001, "2000 characters or fewer"),
    (3, "psfs_score_1", "11", "from 0 (can't do it) to 10"),
    (3, "psfs_score_2", "", "rate this activity"),
    (5, "pregnancy_weeks", "50", "from 1 to 42"),
    (5, "epilepsy", "", "yes, no or not sure"),
    (5, "pacemaker", "maybe", "yes, no or not sure"),
    (1, "phone", "12", "valid phone number"),
    (1, "email", "jane@", "check your email address"),
    (1, "emergency_contact_name", "", "name of the person to call"),
]


class TestValidation:
    @pytest.mark.parametrize(("step", "field", "value", "message"), INVALID)
    def test_a_mistake_is_explained_next_to_the_field_and_nothing_else_is_lost(
        self, client, link, patient, step, field, value, message
    ):
        client.get(link)
        fill_steps(client, link, steps=range(1, step))
        before = the_intake(patient)
        data = {**STEP_ANSWERS[step], field: value}
        if field == "pregnancy_weeks":
            data["pregnant"] = "yes"
        response = post_step(client, link, step, data)

        assert response.status_code == 200
        page = response.content.decode()
        assert any(message in error for error in errors(response)), errors(response)
        # The error is tied to its input for screen readers.
        field_id = f"id_{field}"
        assert re.search(rf'aria-describedby="[^"]*\b{field_id}_error\b', page)
        assert f'id="{field_id}_error"' in page
        # Everything else typed is still on the page.
        for other, typed in STEP_ANSWERS[step].items():
            if other == field or other.endswith("TOTAL_FORMS") or other.endswith("INITIAL_FORMS"):
                continue
            for one in typed if isinstance(typed, list) else [typed]:
                if one in ("on", "no", "yes"):
                    continue
                assert one in page, f"{other}={one!r} was lost"
        # Nothing of the step was saved.
        after = the_intake(patient)
        assert step not in after.completed_steps
        assert after.updated_at == before.updated_at

    def test_headache_days_are_not_asked_without_headaches(self, client, link, patient):
        fill_steps(client, link, steps=(1,))
        data = {**STEP_ANSWERS[2], "pain_types": ["neck_pain"], "headache_days": ""}
        assert post_step(client, link, 2, data).status_code == 302
        assert the_intake(patient).headache_days is None

    def test_headache_days_typed_for_a_back_pain_are_dropped(self, client, link, patient):
        fill_steps(client, link, steps=(1,))
        data = {**STEP_ANSWERS[2], "pain_types": ["lower_back_pain"], "headache_days": "9"}
        post_step(client, link, 2, data)
        assert the_intake(patient).headache_days is None

    def test_an_activity_rated_without_a_name_is_questioned(self, client, link):
        fill_steps(client, link, steps=(1, 2))
        response = post_step(client, link, 3, {"psfs_score_3": "4"})
        assert any("which activity" in e for e in errors(response))

    def test_a_medicine_row_needs_a_name(self, client, link, patient):
        fill_steps(client, link, steps=(1, 2, 3))
        data = {**STEP_ANSWERS[4], "medications-1-name": ""}
        response = post_step(client, link, 4, data)
        assert response.status_code == 200
        assert any("medicine's name" in e for e in errors(response))
        assert 'value="Ibuprofen"' in response.content.decode()
        assert not IntakeMedication.objects.exists()

    def test_too_many_medicine_rows_are_refused_not_crashed(self, client, link):
        fill_steps(client, link, steps=(1, 2, 3))
        data = {"medications-TOTAL_FORMS": "40", "medications-INITIAL_FORMS": "0"}
        data.update({f"medications-{n}-name": f"Pill {n}" for n in range(40)})
        response = post_step(client, link, 4, data)
        assert response.status_code == 200
        assert "up to 30 medicines" in response.content.decode()
        assert not IntakeMedication.objects.exists()

    def test_a_broken_medicine_form_is_refused_not_crashed(self, client, link):
        fill_steps(client, link, steps=(1, 2, 3))
        response = post_step(client, link, 4, {"medications-0-name": "Aspirin"})
        assert response.status_code == 200
        assert "Something went wrong with this page" in response.content.decode()
        assert not IntakeMedication.objects.exists()

    def test_consent_needs_both_ticks_and_a_typed_name(self, client, link, patient):
        fill_steps(client, link)
        response = post_step(client, link, 6, {"signature_name": "  "})
        messages = " ".join(errors(response))
        assert "can't treat you without it" in messages
        assert "privacy notice" in messages
        assert "type your full name" in messages
        assert the_intake(patient).status == Intake.Status.DRAFT

    def test_odd_text_is_kept_and_shown_escaped(self, client, link, patient):
        fill_steps(client, link, steps=(1,))
        notes = "<script>alert(1)</script> ümlaut — 痛み"
        post_step(client, link, 2, {**STEP_ANSWERS[2], "pain_notes": notes})
        assert the_intake(patient).pain_notes == notes
        page = client.get(step_url(link, 2)).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; ümlaut — 痛み" in page

    def test_a_null_character_is_refused_politely(self, client, link):
        fill_steps(client, link, steps=(1,))
        response = post_step(client, link, 2, {**STEP_ANSWERS[2], "pain_notes": "a\x00b"})
        assert response.status_code == 200
        assert any("unusual characters" in e for e in errors(response))


class TestSubmitOnce:
    def test_submitting_twice_makes_one_submission(self, client, link, patient):
        fill_steps(client, link)
        post_step(client, link, 6, CONSENT)
        first = the_intake(patient)
        again = post_step(client, link, 6, {**CONSENT, "signature_name": "Someone Else"})
        assert again.status_code == 302
        assert again["Location"] == link
        second = the_intake(patient)
        assert (second.submitted_at, second.signature_name) == (first.submitted_at, "Jane Doe")
        assert Intake.objects.count() == 1

    def test_after_submitting_no_step_can_change_an_answer(self, client, link, patient):
        fill_steps(client, link)
        post_step(client, link, 6, CONSENT)
        for step in range(1, 6):
            response = post_step(client, link, step, {**STEP_ANSWERS[step], "pain_now": "1"})
            assert response.status_code == 302
            assert response["Location"] == link
            assert client.get(step_url(link, step))["Location"] == link
        assert the_intake(patient).pain_now == 7

    def test_the_thank_you_page_shows_no_answers(self, client, link, patient):
        fill_steps(client, link)
        post_step(client, link, 6, CONSENT)
        page = client.get(link).content.decode()
        assert "Sertraline" not in page
        assert "Turning my head" not in page
        assert "<form" not in page


class TestSelfRegistration:
    def test_a_new_patient_fills_the_form_and_no_chart_exists_until_confirmed(
        self, client, front_desk
    ):
        assert b"New patient form" in client.get(reverse("intake:intake_start")).content
        response = client.post(reverse("intake:intake_start"))
        assert response.status_code == 302
        link = response["Location"].removesuffix("step/1/")
        about = {
            "first_name": "Sam",
            "last_name": "Rivera",
            "date_of_birth": "1980-04-25",
            "sex": "unknown",
            "phone": "415 555 0199",
            "reminder_channel": "sms",
        }
        response = post_step(client, link, 1, {"first_name": "Sam"})
        assert response.status_code == 200
        assert any("date of birth" in e for e in errors(response))
        assert 'value="Sam"' in response.content.decode()

        assert post_step(client, link, 1, about).status_code == 302
        fill_steps(client, link, steps=(2, 3, 4, 5))
        post_step(client, link, 6, {**CONSENT, "signature_name": "Sam Rivera"})

        pending = Intake.objects.get()
        assert pending.status == Intake.Status.SUBMITTED
        assert pending.patient is None
        assert pending.is_pending_registration
        assert not Patient.objects.filter(last_name="Rivera").exists()

        desk = Client()
        desk.force_login(front_desk)
        queue = desk.get(reverse("intake:intake_queue")).content.decode()
        assert "Sam Rivera" in queue
        form = {
            "action": "create",
            "first_name": "Sam",
            "last_name": "Rivera",
            "date_of_birth": "1980-04-25",
            "sex": "unknown",
            "phone": "+14155550199",
        }
        response = desk.post(reverse("intake:registration", kwargs={"code": pending.code}), form)
        assert response.status_code == 302
        patient = Patient.objects.get(last_name="Rivera")
        pending.refresh_from_db()
        assert pending.patient == patient
        assert pending.registered_by == front_desk
        # The reminder preference the patient gave comes with them, as their own choice.
        assert patient.reminder_channel == "sms"
        assert patient.reminder_consent_at == pending.submitted_at
        assert patient.reminder_consent_by is None

    def test_the_identity_of_an_invited_patient_is_not_editable(self, client, link, patient):
        page = client.get(step_url(link, 1)).content.decode()
        assert 'name="first_name"' not in page
        assert "Jane Doe" in page
        post_step(client, link, 1, {**STEP_ANSWERS[1], "first_name": "Mallory"})
        assert the_intake(patient).first_name == "Jane"


def test_regions_are_stored_one_row_each(client, link, patient):
    fill_steps(client, link, steps=(1, 2))
    fill_steps(client, link, steps=(2,))  # saving again replaces, never duplicates
    assert IntakePainRegion.objects.filter(intake__patient=patient).count() == 3


class TestReminderPreference:
    """Step 1 asks how the patient wants appointment reminders; submitting copies the
    answer to the chart as the patient's own choice, with the time."""

    QUESTION = "How should we remind you of your appointments?"

    def test_about_you_asks_how_to_remind_the_patient_and_promises_no_health_details(
        self, client, link
    ):
        page = client.get(step_url(link, 1)).content.decode()
        text = html.unescape(re.sub(r"<[^>]+>", " ", page))
        assert self.QUESTION in page
        assert "never say anything about your health" in " ".join(text.split())
        for value in ("email", "sms", "none"):
            assert f'name="reminder_channel" value="{value}"' in page
        # Email and text messages are offered only once there is an address to use.
        assert "intake/reminder_choices.js" in page

    def test_the_question_must_be_answered(self, client, link, patient):
        answers = {k: v for k, v in STEP_ANSWERS[1].items() if k != "reminder_channel"}
        response = post_step(client, link, 1, answers)
        assert response.status_code == 200
        assert (
            "Please choose how we should remind you, or that you'd rather not be reminded."
            in errors(response)
        )
        assert 1 not in the_intake(patient).completed_steps

    def test_email_reminders_without_an_email_address_are_questioned(self, client, link, patient):
        response = post_step(
            client, link, 1, {**STEP_ANSWERS[1], "email": "", "reminder_channel": "email"}
        )
        assert response.status_code == 200
        assert (
            "Please add your email address above, or choose another way to be reminded."
            in errors(response)
        )
        intake = the_intake(patient)
        assert intake.reminder_channel == ""
        assert 1 not in intake.completed_steps

    def test_the_answer_is_kept_on_the_intake_and_shown_for_checking(self, client, link, patient):
        post_step(client, link, 1, {**STEP_ANSWERS[1], "reminder_channel": "email"})
        assert the_intake(patient).reminder_channel == "email"
        fill_steps(client, link, steps=(2, 3, 4, 5))
        review = client.get(step_url(link, 6)).content.decode()
        assert self.QUESTION in review
        assert "By email, to the address above" in review

    def test_submitting_copies_the_choice_to_the_chart_as_the_patients_own(
        self, client, link, patient
    ):
        assert (patient.reminder_channel, patient.reminder_consent_at) == ("none", None)
        fill_steps(client, link)
        post_step(client, link, 6, CONSENT)

        patient.refresh_from_db()
        intake = the_intake(patient)
        assert patient.reminder_channel == "sms"
        assert patient.reminder_consent_at == intake.submitted_at
        assert patient.reminder_consent_by is None
        assert intake.contact_changes["reminder_channel"] == ["none", "sms"]

    def test_a_choice_already_on_the_chart_is_offered_again(self, client, front_desk):
        patient = PatientFactory(
            reminder_channel="email",
            reminder_consent_at=timezone.now(),
            reminder_consent_by=front_desk,
        )
        _invitation, _token, link = make_invitation(patient, created_by=front_desk)
        page = client.get(step_url(link, 1)).content.decode()
        assert re.search(r'name="reminder_channel" value="email"[^>]*checked', page)

    def test_the_default_none_is_no_ones_choice_and_is_not_offered_as_an_answer(self, client, link):
        page = client.get(step_url(link, 1)).content.decode()
        assert not re.search(r'name="reminder_channel" value="[a-z]+"[^>]*checked', page)


class TestPainMedicineDoses:
    """Step 4 asks how many doses of pain medicine the patient took in the last 7 days."""

    def test_the_doses_are_kept_with_the_medicines_and_shown_for_checking(
        self, client, link, patient
    ):
        fill_steps(client, link, steps=(1, 2, 3))
        page = client.get(step_url(link, 4)).content.decode()
        assert 'name="pain_medication_doses"' in page
        assert "doses of pain medicine have you taken in the last 7 days" in page

        response = post_step(client, link, 4, {**STEP_ANSWERS[4], "pain_medication_doses": "12"})

        assert response.status_code == 302
        intake = the_intake(patient)
        assert intake.pain_medication_doses == 12
        assert intake.medications.count() == 2
        fill_steps(client, link, steps=(5,))
        review = client.get(step_url(link, 6)).content.decode()
        assert "doses of pain medicine have you taken in the last 7 days" in review
        assert ">12<" in review

    def test_the_doses_may_be_left_empty(self, client, link, patient):
        fill_steps(client, link, steps=(1, 2, 3, 4))
        assert the_intake(patient).pain_medication_doses is None
        assert 4 in the_intake(patient).completed_steps

    @pytest.mark.parametrize("doses", ["201", "-1", "lots"])
    def test_doses_out_of_range_are_questioned_and_nothing_is_saved(
        self, client, link, patient, doses
    ):
        fill_steps(client, link, steps=(1, 2, 3))

        response = post_step(client, link, 4, {**STEP_ANSWERS[4], "pain_medication_doses": doses})

        assert response.status_code == 200
        assert "Please type a number from 0 to 200, or leave it empty." in errors(response)
        assert 'value="Ibuprofen"' in response.content.decode()
        assert not IntakeMedication.objects.exists()
        assert 4 not in the_intake(patient).completed_steps
