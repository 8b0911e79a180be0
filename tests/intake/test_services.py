"""The intake services refuse what their rules forbid, whoever calls them: each
refusal is driven here through the service itself, not through a view."""

import datetime

import pytest
from django.utils import timezone

from core.concurrency import EditConflict
from intake.models import Intake, IntakeInvitation, Patient
from intake.services import (
    ChartArchived,
    IntakeClosed,
    IntakeIncomplete,
    IntakeNotReviewable,
    PossibleDuplicate,
    RegistrationClosed,
    ReminderChannelError,
    intake_mark_reviewed,
    intake_open,
    intake_save_step,
    intake_start,
    intake_submit,
    invitation_create,
    patient_archive,
    patient_create,
    patient_restore,
    patient_update,
    registration_attach,
    registration_create_patient,
    registration_discard,
)
from tests.factories import SCREENING_NO, IntakeFactory, PatientFactory, make_invitation

pytestmark = pytest.mark.django_db

ADA = {
    "first_name": "Ada",
    "last_name": "Quill",
    "date_of_birth": datetime.date(1980, 4, 25),
    "sex": "female",
    "phone": "+14155550142",
    "email": "ada@example.com",
}


def submit(intake):
    return intake_submit(
        intake=intake,
        consent_to_treatment=True,
        privacy_acknowledged=True,
        signature_name="Ada Quill",
        ip="203.0.113.9",
    )


def all_steps_saved(intake):
    for step in range(1, 6):
        intake = intake_save_step(
            intake=intake, step=step, answers=SCREENING_NO if step == 5 else {}
        )
    return intake


def pending_registration():
    invitation, _token = intake_start()
    intake = all_steps_saved(invitation.intake)
    intake_save_step(
        intake=intake,
        step=1,
        answers={k: ADA[k] for k in ("first_name", "last_name", "date_of_birth", "sex")},
    )
    return submit(Intake.objects.get(pk=intake.pk))


# --- Charts ---------------------------------------------------------------------------


def test_registering_someone_whose_name_and_birth_date_match_a_chart_is_refused(front_desk):
    existing = PatientFactory(
        first_name="ADA", last_name="quill", date_of_birth=ADA["date_of_birth"]
    )

    with pytest.raises(PossibleDuplicate) as refused:
        patient_create(data=ADA, created_by=front_desk)

    assert refused.value.matches == [existing]
    assert Patient.objects.count() == 1


def test_staff_who_confirmed_it_is_someone_else_can_register_them(front_desk):
    PatientFactory(first_name="Ada", last_name="Quill", date_of_birth=ADA["date_of_birth"])

    patient_create(data=ADA, created_by=front_desk, duplicate_confirmed=True)

    assert Patient.objects.filter(last_name="Quill").count() == 2


def test_renaming_a_chart_to_match_another_is_refused_as_a_duplicate(front_desk):
    PatientFactory(first_name="Ada", last_name="Quill", date_of_birth=ADA["date_of_birth"])
    other = PatientFactory(first_name="Bea", last_name="Quill", date_of_birth=ADA["date_of_birth"])

    with pytest.raises(PossibleDuplicate):
        patient_update(patient=other, data={"first_name": "Ada"}, updated_by=front_desk)

    other.refresh_from_db()
    assert other.first_name == "Bea"


@pytest.mark.parametrize(
    ("chart", "reason"),
    [
        ({"first_name": "Adá", "last_name": "QUILL"}, "same name"),
        ({"first_name": "Ada", "last_name": "Quil"}, "name one typo apart"),
        ({"first_name": "Quill", "last_name": "Ada"}, "first and last names swapped"),
        ({"first_name": "Bea", "last_name": "Moss", "phone": ADA["phone"]}, "same phone"),
        ({"first_name": "Bea", "last_name": "Moss", "email": "ADA@example.com"}, "same email"),
    ],
)
def test_registering_someone_born_the_same_day_as_a_chart_alike_is_refused(
    front_desk, chart, reason
):
    existing = PatientFactory(
        **{"phone": "+14155550999", "email": "", **chart}, date_of_birth=ADA["date_of_birth"]
    )

    with pytest.raises(PossibleDuplicate) as refused:
        patient_create(data=ADA, created_by=front_desk)

    assert refused.value.matches == [existing]
    assert refused.value.matches[0].duplicate_reasons == (reason,)
    assert Patient.objects.count() == 1


def test_a_chart_alike_but_born_another_day_does_not_stop_a_registration(front_desk):
    PatientFactory(
        first_name="Ada",
        last_name="Quill",
        date_of_birth=ADA["date_of_birth"] + datetime.timedelta(days=1),
        phone=ADA["phone"],
        email=ADA["email"],
    )

    patient_create(data=ADA, created_by=front_desk)

    assert Patient.objects.count() == 2


def test_the_guard_names_archived_charts_and_the_oldest_first(front_desk):
    older = PatientFactory(
        first_name="Ada",
        last_name="Quil",
        date_of_birth=ADA["date_of_birth"],
        status=Patient.Status.ARCHIVED,
        archived_at=timezone.now(),
        created_at=timezone.now() - datetime.timedelta(days=400),
    )
    newer = PatientFactory(first_name="Ada", last_name="Quill", date_of_birth=ADA["date_of_birth"])
    PatientFactory(first_name="Bea", last_name="Moss", date_of_birth=ADA["date_of_birth"])

    with pytest.raises(PossibleDuplicate) as refused:
        patient_create(data=ADA, created_by=front_desk)

    assert refused.value.matches == [older, newer]


def test_changing_a_phone_to_that_of_a_chart_born_the_same_day_is_refused(front_desk):
    PatientFactory(
        first_name="Bea", last_name="Moss", date_of_birth=ADA["date_of_birth"], phone=ADA["phone"]
    )
    ada = PatientFactory(
        first_name="Ada",
        last_name="Quill",
        date_of_birth=ADA["date_of_birth"],
        phone="+14155550111",
    )

    with pytest.raises(PossibleDuplicate):
        patient_update(patient=ada, data={"phone": ADA["phone"]}, updated_by=front_desk)

    ada.refresh_from_db()
    assert ada.phone == "+14155550111"


def test_a_save_that_changes_nothing_the_guard_compares_is_not_asked_again(front_desk):
    # Twins sharing a phone, confirmed as two people when the second was registered.
    PatientFactory(
        first_name="Bea", last_name="Quill", date_of_birth=ADA["date_of_birth"], phone=ADA["phone"]
    )
    ada = patient_create(data=ADA, created_by=front_desk, duplicate_confirmed=True)
    unchanged = {name: getattr(ada, name) for name in ADA}

    patient_update(
        patient=ada,
        data={**unchanged, "address": "1 Mission St"},
        updated_by=front_desk,
    )

    ada.refresh_from_db()
    assert ada.address == "1 Mission St"


def test_a_save_from_a_form_opened_before_another_save_is_a_conflict(front_desk, patient):
    patient_update(
        patient=patient, data={"phone": "+14155550111"}, updated_by=front_desk, version=1
    )

    with pytest.raises(EditConflict) as conflict:
        patient_update(
            patient=patient, data={"email": "late@example.com"}, updated_by=front_desk, version=1
        )

    assert conflict.value.current_version == 2
    patient.refresh_from_db()
    assert patient.email != "late@example.com"


def test_no_intake_link_is_made_for_an_archived_chart(front_desk, patient):
    patient_archive(patient=patient, reason="Moved away", archived_by=front_desk)

    with pytest.raises(ChartArchived):
        invitation_create(patient=patient, created_by=front_desk)

    assert not IntakeInvitation.objects.filter(patient=patient).exists()


def test_archiving_reads_the_chart_as_stored_not_as_the_caller_holds_it(front_desk, patient):
    stale = Patient.objects.get(pk=patient.pk)
    patient_archive(patient=patient, reason="Moved away", archived_by=front_desk)

    patient_archive(patient=stale, reason="Again", archived_by=front_desk)  # no second archive
    patient_restore(patient=stale, restored_by=front_desk)  # stale says "active": still restores

    patient.refresh_from_db()
    assert not patient.is_archived


# --- The patient's intake ---------------------------------------------------------------


def test_a_submitted_intake_cannot_be_changed_by_the_patient(front_desk, patient):
    invitation, _token, _path = make_invitation(patient, created_by=front_desk)
    intake = submit(all_steps_saved(intake_open(invitation=invitation)))

    with pytest.raises(IntakeClosed):
        intake_save_step(intake=intake, step=2, answers={"pain_now": 1})

    intake.refresh_from_db()
    assert intake.pain_now != 1


def test_an_intake_with_steps_left_out_cannot_be_submitted(front_desk, patient):
    invitation, _token, _path = make_invitation(patient, created_by=front_desk)
    intake = intake_save_step(intake=intake_open(invitation=invitation), step=1, answers={})

    with pytest.raises(IntakeIncomplete) as refused:
        submit(intake)

    assert refused.value.missing_steps == [2, 3, 4, 5]
    intake.refresh_from_db()
    assert intake.status == Intake.Status.DRAFT


@pytest.mark.parametrize("state", ["draft", "self_registration"])
def test_only_a_registered_patients_submitted_intake_can_be_marked_reviewed(state, acupuncturist):
    intake = IntakeFactory() if state == "draft" else pending_registration()

    with pytest.raises(IntakeNotReviewable):
        intake_mark_reviewed(intake=intake, reviewed_by=acupuncturist)

    intake.refresh_from_db()
    assert intake.reviewed_at is None


# --- Self-registrations ---------------------------------------------------------------


@pytest.mark.parametrize("handled_by", ["attach", "create", "discard"])
def test_a_self_registration_already_dealt_with_cannot_be_dealt_with_again(
    handled_by, front_desk, patient
):
    registration = pending_registration()
    registration_discard(intake=registration, reason="A test", discarded_by=front_desk)
    actions = {
        "attach": lambda: registration_attach(
            intake=registration, patient=patient, registered_by=front_desk
        ),
        "create": lambda: registration_create_patient(
            intake=registration, data=ADA, registered_by=front_desk
        ),
        "discard": lambda: registration_discard(
            intake=registration, reason="Again", discarded_by=front_desk
        ),
    }

    with pytest.raises(RegistrationClosed):
        actions[handled_by]()

    registration.refresh_from_db()
    assert registration.status == Intake.Status.DISCARDED
    assert registration.patient_id is None


def test_confirming_a_self_registration_as_a_new_patient_is_refused_for_a_likely_duplicate(
    front_desk,
):
    PatientFactory(first_name="Ada", last_name="Quill", date_of_birth=ADA["date_of_birth"])
    registration = pending_registration()

    with pytest.raises(PossibleDuplicate):
        registration_create_patient(intake=registration, data=ADA, registered_by=front_desk)

    registration.refresh_from_db()
    assert registration.is_pending_registration
    assert Patient.objects.filter(last_name="Quill").count() == 1


def test_a_self_registration_alike_a_chart_born_the_same_day_is_refused_too(front_desk):
    # The patient typed their name without accents and their usual phone; the chart
    # has the accents. Nothing was asked of the patient; the desk is asked here.
    existing = PatientFactory(
        first_name="Adá", last_name="Quíll", date_of_birth=ADA["date_of_birth"], phone=ADA["phone"]
    )
    registration = pending_registration()

    with pytest.raises(PossibleDuplicate) as refused:
        registration_create_patient(intake=registration, data=ADA, registered_by=front_desk)

    assert refused.value.matches == [existing]
    assert refused.value.matches[0].duplicate_reasons == ("same name", "same phone")
    registration.refresh_from_db()
    assert registration.is_pending_registration


# --- The reminder preference -------------------------------------------------------------


def test_the_desk_changing_the_reminder_preference_records_who_and_when(front_desk, patient):
    before = timezone.now()

    patient_update(patient=patient, data={"reminder_channel": "sms"}, updated_by=front_desk)

    patient.refresh_from_db()
    assert patient.reminder_channel == "sms"
    assert patient.reminder_consent_by == front_desk
    assert patient.reminder_consent_at >= before


def test_saving_the_same_reminder_preference_keeps_who_chose_it_and_when(
    front_desk, clinic_admin, patient
):
    patient_update(patient=patient, data={"reminder_channel": "email"}, updated_by=front_desk)
    patient.refresh_from_db()
    chosen_at = patient.reminder_consent_at

    patient_update(
        patient=patient,
        data={"reminder_channel": "email", "address": "2 High Street"},
        updated_by=clinic_admin,
    )

    patient.refresh_from_db()
    assert (patient.reminder_consent_by, patient.reminder_consent_at) == (front_desk, chosen_at)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reminder_channel": "email", "email": ""}, "Email reminders need an email address"),
        ({"reminder_channel": "sms", "phone": ""}, "Text reminders need a phone number"),
        ({"email": ""}, "Email reminders need an email address"),  # chosen before
    ],
)
def test_a_reminder_preference_with_nowhere_to_go_is_refused(front_desk, data, message):
    patient = PatientFactory(
        email="ada@example.com", reminder_channel="email", reminder_consent_at=timezone.now()
    )
    before = _reminder_fields(patient)

    with pytest.raises(ReminderChannelError, match=message) as refused:
        patient_update(patient=patient, data=data, updated_by=front_desk)

    assert refused.value.field == "reminder_channel"
    patient.refresh_from_db()
    assert _reminder_fields(patient) == before
    assert patient.email == "ada@example.com"


def _reminder_fields(patient):
    return (patient.reminder_channel, patient.reminder_consent_at, patient.reminder_consent_by_id)


def test_submitting_an_intake_copies_the_reminder_choice_as_the_patients_own(front_desk, patient):
    patient_update(patient=patient, data={"reminder_channel": "email"}, updated_by=front_desk)
    invitation, _token, _path = make_invitation(patient, created_by=front_desk)
    intake = all_steps_saved(intake_open(invitation=invitation))
    assert intake.reminder_channel == "email"  # the chart's choice, offered again
    intake_save_step(intake=intake, step=1, answers={"reminder_channel": "sms"})

    intake = submit(intake)

    patient.refresh_from_db()
    assert patient.reminder_channel == "sms"
    assert patient.reminder_consent_at == intake.submitted_at
    assert patient.reminder_consent_by is None


def test_the_patient_confirming_the_desks_choice_makes_it_their_own(front_desk, patient):
    patient_update(patient=patient, data={"reminder_channel": "email"}, updated_by=front_desk)
    patient.refresh_from_db()
    version = patient.version
    invitation, _token, _path = make_invitation(patient, created_by=front_desk)

    intake = submit(all_steps_saved(intake_open(invitation=invitation)))

    patient.refresh_from_db()
    assert patient.reminder_channel == "email"
    assert (patient.reminder_consent_at, patient.reminder_consent_by) == (intake.submitted_at, None)
    assert "reminder_channel" not in intake.contact_changes
    assert patient.version == version  # nothing the desk's open form shows has changed


def test_an_intake_that_never_asked_leaves_the_charts_reminder_preference_alone(
    front_desk, patient
):
    patient_update(patient=patient, data={"reminder_channel": "sms"}, updated_by=front_desk)
    patient.refresh_from_db()
    before = _reminder_fields(patient)
    # A draft whose first step was saved before the question was asked.
    intake = all_steps_saved(IntakeFactory(patient=patient, phone=patient.phone))
    assert intake.reminder_channel == ""

    submit(intake)

    patient.refresh_from_db()
    assert _reminder_fields(patient) == before


def test_a_self_registration_brings_the_patients_reminder_choice_to_the_new_chart(front_desk):
    intake = pending_registration()
    Intake.objects.filter(pk=intake.pk).update(reminder_channel="sms")
    intake.refresh_from_db()

    patient = registration_create_patient(
        intake=intake, data=ADA, registered_by=front_desk, duplicate_confirmed=True
    )

    assert patient.reminder_channel == "sms"
    assert (patient.reminder_consent_at, patient.reminder_consent_by) == (intake.submitted_at, None)


def test_a_self_registrations_email_choice_without_an_email_address_is_not_copied(front_desk):
    intake = pending_registration()
    Intake.objects.filter(pk=intake.pk).update(reminder_channel="email")
    intake.refresh_from_db()

    patient = registration_create_patient(
        intake=intake, data={**ADA, "email": ""}, registered_by=front_desk
    )

    assert (patient.reminder_channel, patient.reminder_consent_at) == ("none", None)
