"""The session services' refusals, driven through the services themselves, not the
pages: who may change, discard, sign or add to a note, what a note needs before it is
signed, and the safety rules, which the services check against the patient's last
submitted intake without anyone handing them a screening."""

import datetime

import pytest
from django.utils import timezone

from accounts import roles
from intake.models import Patient
from intake.services import ChartArchived, patient_archive
from sessions.models import SafetyAcknowledgement, SessionAddendum, TreatmentSession
from sessions.points import parse_points
from sessions.safety import Rule
from sessions.services import (
    SafetyRefused,
    SessionNotEditable,
    SigningRefused,
    addendum_add,
    session_discard,
    session_save,
    session_sign,
    signing_problems,
)
from tests.factories import (
    IntakeFactory,
    PatientFactory,
    PractitionerProfileFactory,
    TreatmentSessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

EA = "electroacupuncture"
PACEMAKER_REFUSAL = (
    "Electroacupuncture is not allowed: the patient has a pacemaker or another implanted "
    "electrical device."
)
NOT_ACKNOWLEDGED = (
    "The safety warnings for this session have not all been acknowledged (the patient's "
    "intake may have changed). Edit the draft, read them and tick the acknowledgement."
)


def _colleague():
    """Another acupuncturist of the clinic, with a current licence of their own."""
    return PractitionerProfileFactory().user


def _draft(author, **fields):
    """A complete draft of the author's: pain 6 -> 3, 10 needles in and out, two points."""
    fields.setdefault("points", "GB20 L, BL23")
    return TreatmentSessionFactory(created_by=author, **fields)


def _electro_draft(author, **fields):
    """A complete draft with electroacupuncture, written straight to the database as a
    form that missed the patient's intake would have left it."""
    return _draft(author, modalities=[EA], ea_frequency_hz=2, ea_intensity="mild", **fields)


def _note(**changes) -> dict:
    """What the session form hands the service for a complete note of today."""
    return {
        "date": timezone.localdate(),
        "pain_before": 6,
        "pain_after": 3,
        "modalities": ["manual_needling"],
        "ea_frequency_hz": None,
        "ea_intensity": "",
        "needles_inserted": 10,
        "needles_removed": 10,
        "needle_count_explanation": "",
        "retention_minutes": 20,
        "position": "prone",
        "subjective": "Neck stiff since Monday.",
        **changes,
    }


def _save(user, *, patient=None, session=None, points="GB20, ST36", acknowledged=False, **note):
    return session_save(
        patient=patient if patient is not None else session.patient,
        session=session,
        data=_note(**note),
        points=parse_points(points).points,
        adverse_events=[],
        safety_acknowledged=acknowledged,
        user=user,
    )


def _snapshot(session) -> dict:
    """Everything stored about the session: its columns, points, adverse events,
    safety acknowledgements and addenda."""
    session = TreatmentSession.objects.get(pk=session.pk)
    return {
        "fields": {
            field.attname: getattr(session, field.attname)
            for field in TreatmentSession._meta.concrete_fields
        },
        "points": list(session.needled_points.values_list("point__code", "side", "order")),
        "adverse_events": list(session.adverse_events.values_list("kind", "notes")),
        "acknowledgements": list(session.safety_acknowledgements.values_list("rule", "warning")),
        "addenda": list(session.addenda.values_list("text", flat=True)),
    }


def _pregnant(patient, weeks=14):
    return IntakeFactory(patient=patient, submitted=True, pregnant="yes", pregnancy_weeks=weeks)


# --- Changing and discarding: only the author's own draft ---------------------------------


def _signed_note(author):
    return _draft(author, signed=True), author


def _discarded_draft(author):
    draft = _draft(author)
    return session_discard(session=draft, reason="Duplicate entry.", user=author), author


def _someone_elses_draft(author):
    return _draft(author), _colleague()


NOT_EDITABLE = {
    "signed": (
        _signed_note,
        "This note is signed and cannot be changed. Add an addendum to correct it.",
    ),
    "discarded": (_discarded_draft, "This draft was discarded and cannot be changed."),
    "someone-elses-draft": (
        _someone_elses_draft,
        "Only the practitioner who started this draft can change it.",
    ),
}


@pytest.mark.parametrize("case", NOT_EDITABLE.values(), ids=NOT_EDITABLE.keys())
def test_saving_a_note_that_is_not_the_users_own_draft_is_refused(acupuncturist, case):
    make, message = case
    session, user = make(acupuncturist)
    before = _snapshot(session)

    with pytest.raises(SessionNotEditable) as refused:
        _save(user, session=session, points="ST36", pain_before=1, subjective="Rewritten.")

    assert str(refused.value) == message
    assert _snapshot(session) == before


@pytest.mark.parametrize("case", NOT_EDITABLE.values(), ids=NOT_EDITABLE.keys())
def test_discarding_a_note_that_is_not_the_users_own_draft_is_refused(acupuncturist, case):
    make, message = case
    session, user = make(acupuncturist)
    before = _snapshot(session)

    with pytest.raises(SessionNotEditable) as refused:
        session_discard(session=session, reason="Logged on the wrong chart.", user=user)

    assert str(refused.value) == message
    assert _snapshot(session) == before


def test_the_service_refuses_a_draft_signed_since_the_caller_loaded_it(acupuncturist):
    draft = _draft(acupuncturist)
    stale = TreatmentSession.objects.get(pk=draft.pk)
    session_sign(session=draft, user=acupuncturist)

    with pytest.raises(SessionNotEditable, match="This note is signed"):
        _save(acupuncturist, session=stale, subjective="Rewritten.")

    assert TreatmentSession.objects.get(pk=draft.pk).subjective == ""


def test_an_addendum_on_a_draft_is_refused(acupuncturist):
    draft = _draft(acupuncturist)

    with pytest.raises(SessionNotEditable) as refused:
        addendum_add(session=draft, text="Too early.", user=acupuncturist)

    assert str(refused.value) == "Addenda are for signed notes; a draft can still be edited."
    assert not SessionAddendum.objects.exists()


# --- Starting a session -----------------------------------------------------------------


def test_a_session_cannot_be_started_on_an_archived_chart(acupuncturist, patient, front_desk):
    patient_archive(patient=patient, reason="Moved away", archived_by=front_desk)

    with pytest.raises(ChartArchived) as refused:
        _save(acupuncturist, patient=patient)

    assert str(refused.value) == "This chart is archived. Restore it before logging a session."
    assert not TreatmentSession.objects.exists()


def test_a_chart_archived_after_the_caller_loaded_it_takes_no_new_session(
    acupuncturist, patient, front_desk
):
    loaded = Patient.objects.get(pk=patient.pk)
    patient_archive(patient=patient, reason="Moved away", archived_by=front_desk)
    assert not loaded.is_archived

    with pytest.raises(ChartArchived):
        _save(acupuncturist, patient=loaded)

    assert not TreatmentSession.objects.exists()


# --- Signing: who signs, and what the note needs ------------------------------------------------


def _another_authors_draft(author):
    return _draft(author), _colleague()


def _role_without_the_sign_permission(_author):
    # A practitioner with a current licence whose role no longer allows signing.
    former = PractitionerProfileFactory(user__role=None).user
    return _draft(former), former


def _no_licence_on_record(_author):
    unlicensed = UserFactory(role=roles.ACUPUNCTURIST)
    return _draft(unlicensed), unlicensed


def _expired_licence(_author):
    profile = PractitionerProfileFactory(
        licence_number="AC-77",
        licensing_body="State Acupuncture Board",
        licence_expiry=datetime.date(2024, 3, 15),
    )
    return _draft(profile.user), profile.user


def _no_pain_after(author):
    return _draft(author, pain_after=None), author


def _no_needles_removed_count(author):
    return _draft(author, needles_removed=None), author


def _no_needles_inserted_count(author):
    return _draft(author, needles_inserted=None), author


def _unexplained_needle_counts(author):
    return _draft(author, needles_inserted=12, needles_removed=11), author


def _blank_needle_count_explanation(author):
    return (
        _draft(author, needles_inserted=12, needles_removed=11, needle_count_explanation="   "),
        author,
    )


SIGNING_REFUSALS = {
    "already-signed": (_signed_note, "This note is already signed."),
    "discarded": (_discarded_draft, "This draft was discarded and cannot be signed."),
    "another-author": (
        _another_authors_draft,
        "Only the practitioner who wrote this note can sign it.",
    ),
    "role-without-sign-permission": (
        _role_without_the_sign_permission,
        "Your role cannot sign treatment notes.",
    ),
    "no-licence": (
        _no_licence_on_record,
        "You have no acupuncture licence on record, so you cannot sign notes. "
        "Ask the clinic admin to record it.",
    ),
    "expired-licence": (
        _expired_licence,
        "Your licence (State Acupuncture Board AC-77) expired on 15 Mar 2024. A note can "
        "only be signed with a current licence: ask the clinic admin to record your renewal.",
    ),
    "no-pain-after": (_no_pain_after, "Record the pain after treatment."),
    "no-needles-removed": (
        _no_needles_removed_count,
        "Record the number of needles inserted and removed.",
    ),
    "no-needles-inserted": (
        _no_needles_inserted_count,
        "Record the number of needles inserted and removed.",
    ),
    "needle-counts-differ": (
        _unexplained_needle_counts,
        "The needle counts differ (12 inserted, 11 removed). Record what happened before signing.",
    ),
    "blank-explanation": (
        _blank_needle_count_explanation,
        "The needle counts differ (12 inserted, 11 removed). Record what happened before signing.",
    ),
}


@pytest.mark.parametrize("case", SIGNING_REFUSALS.values(), ids=SIGNING_REFUSALS.keys())
def test_signing_is_refused_with_the_one_reason_that_applies(acupuncturist, case):
    make, reason = case
    session, signer = make(acupuncturist)
    before = _snapshot(session)

    with pytest.raises(SigningRefused) as refused:
        session_sign(session=session, user=signer)

    assert refused.value.problems == [reason]
    assert _snapshot(session) == before


def test_the_complete_draft_the_refusals_start_from_signs(acupuncturist):
    # The drafts above differ from this one only in what each refusal names.
    draft = _draft(acupuncturist)

    signed = session_sign(session=draft, user=acupuncturist)

    assert signed.is_signed
    assert TreatmentSession.objects.get(pk=draft.pk).signed_by == acupuncturist


def test_every_reason_is_given_at_once(acupuncturist):
    profile = PractitionerProfileFactory(licence_expiry=datetime.date(2024, 3, 15))
    draft = _draft(profile.user, pain_after=None, needles_inserted=9, needles_removed=8)

    with pytest.raises(SigningRefused) as refused:
        session_sign(session=draft, user=profile.user)

    problems = refused.value.problems
    assert len(problems) == 3
    assert "expired on 15 Mar 2024" in problems[0]
    assert problems[1] == "Record the pain after treatment."
    assert "(9 inserted, 8 removed)" in problems[2]


# --- Signing: the safety rules, from the patient's intake ----------------------------------------


def test_electroacupuncture_for_a_patient_whose_intake_names_a_pacemaker_cannot_be_signed(
    acupuncturist, patient
):
    IntakeFactory(patient=patient, submitted=True, pacemaker="yes")
    draft = _electro_draft(acupuncturist, patient=patient)

    with pytest.raises(SigningRefused) as refused:
        session_sign(session=draft, user=acupuncturist)

    assert refused.value.problems == [PACEMAKER_REFUSAL]
    assert TreatmentSession.objects.get(pk=draft.pk).is_draft


def test_electroacupuncture_signs_when_the_intake_names_no_pacemaker(acupuncturist, patient):
    IntakeFactory(patient=patient, submitted=True, pacemaker="no")
    draft = _electro_draft(acupuncturist, patient=patient)

    assert session_sign(session=draft, user=acupuncturist).is_signed


def test_a_pacemaker_in_an_intake_not_yet_submitted_does_not_count(acupuncturist, patient):
    IntakeFactory(patient=patient, submitted=True, pacemaker="no")
    IntakeFactory(patient=patient, pacemaker="yes")  # still being filled in
    draft = _electro_draft(acupuncturist, patient=patient)

    assert session_sign(session=draft, user=acupuncturist).is_signed


def test_the_last_submitted_intake_is_the_one_signing_reads(acupuncturist, patient):
    IntakeFactory(
        patient=patient,
        submitted=True,
        pacemaker="no",
        submitted_at=timezone.now() - datetime.timedelta(days=30),
    )
    IntakeFactory(patient=patient, submitted=True, pacemaker="yes")
    draft = _electro_draft(acupuncturist, patient=patient)

    with pytest.raises(SigningRefused) as refused:
        session_sign(session=draft, user=acupuncturist)

    assert refused.value.problems == [PACEMAKER_REFUSAL]


def test_pregnancy_caution_points_not_acknowledged_cannot_be_signed(acupuncturist, patient):
    _pregnant(patient)
    draft = _draft(acupuncturist, patient=patient, points="LI4, ST36")

    with pytest.raises(SigningRefused) as refused:
        session_sign(session=draft, user=acupuncturist)

    assert refused.value.problems == [NOT_ACKNOWLEDGED]
    assert TreatmentSession.objects.get(pk=draft.pk).is_draft


def test_acknowledged_pregnancy_warnings_let_the_note_be_signed(acupuncturist, patient):
    _pregnant(patient)
    draft, _ = _save(acupuncturist, patient=patient, points="LI4, ST36", acknowledged=True)

    assert session_sign(session=draft, user=acupuncturist).is_signed


def test_acknowledged_warnings_are_not_enough_once_a_newer_intake_changes_them(
    acupuncturist, patient
):
    _pregnant(patient, weeks=14)
    draft, _ = _save(acupuncturist, patient=patient, points="LI4, ST36", acknowledged=True)
    assert signing_problems(draft, user=acupuncturist) == []

    _pregnant(patient, weeks=20)

    with pytest.raises(SigningRefused) as refused:
        session_sign(session=draft, user=acupuncturist)

    assert refused.value.problems == [NOT_ACKNOWLEDGED]
    assert TreatmentSession.objects.get(pk=draft.pk).is_draft


def test_signing_problems_find_a_pacemaker_and_a_pregnancy_in_the_intake_by_themselves(
    acupuncturist, patient
):
    IntakeFactory(patient=patient, submitted=True, pacemaker="yes", pregnant="yes")
    draft = _electro_draft(acupuncturist, patient=patient, points="LI4, GB20")

    assert signing_problems(draft, user=acupuncturist) == [PACEMAKER_REFUSAL, NOT_ACKNOWLEDGED]


# --- Saving: the safety rules, from the patient's intake --------------------------------------


def test_saving_electroacupuncture_for_a_patient_with_a_pacemaker_is_refused_even_when_acknowledged(
    acupuncturist, patient
):
    IntakeFactory(patient=patient, submitted=True, pacemaker="yes")

    with pytest.raises(SafetyRefused) as refused:
        _save(
            acupuncturist,
            patient=patient,
            acknowledged=True,
            modalities=[EA],
            ea_frequency_hz=2,
            ea_intensity="mild",
        )

    assert [finding.rule for finding in refused.value.refused] == [Rule.PACEMAKER_ELECTRO]
    assert str(refused.value) == PACEMAKER_REFUSAL
    assert not TreatmentSession.objects.exists()


def test_saving_a_draft_with_electroacupuncture_for_a_patient_with_a_pacemaker_is_refused(
    acupuncturist, patient
):
    IntakeFactory(patient=patient, submitted=True, pacemaker="yes")
    draft = _draft(acupuncturist, patient=patient)
    before = _snapshot(draft)

    with pytest.raises(SafetyRefused):
        _save(
            acupuncturist,
            session=draft,
            acknowledged=True,
            modalities=[EA],
            ea_frequency_hz=2,
            ea_intensity="mild",
        )

    assert _snapshot(draft) == before


def test_saving_pregnancy_caution_points_without_the_acknowledgement_is_refused(
    acupuncturist, patient
):
    _pregnant(patient)

    with pytest.raises(SafetyRefused) as refused:
        _save(acupuncturist, patient=patient, points="LI4, SP6, ST36")

    [warning] = refused.value.unacknowledged
    assert warning.rule == Rule.PREGNANCY_POINTS
    assert warning.points == ("LI4", "SP6")
    assert refused.value.refused == []
    assert not TreatmentSession.objects.exists()


def test_acknowledged_pregnancy_caution_points_are_saved_with_who_acknowledged(
    acupuncturist, patient
):
    _pregnant(patient)

    session, saved = _save(acupuncturist, patient=patient, points="LI4, ST36", acknowledged=True)

    assert saved
    [acknowledgement] = SafetyAcknowledgement.objects.filter(session=session)
    assert acknowledgement.rule == Rule.PREGNANCY_POINTS
    assert acknowledgement.acknowledged_by == acupuncturist


def test_a_warning_acknowledged_on_an_earlier_save_needs_no_new_acknowledgement(
    acupuncturist, patient
):
    _pregnant(patient)
    draft, _ = _save(acupuncturist, patient=patient, points="LI4, ST36", acknowledged=True)

    edited, saved = _save(acupuncturist, session=draft, points="LI4, ST36", pain_before=4)

    assert saved
    assert TreatmentSession.objects.get(pk=edited.pk).pain_before == 4
    assert SafetyAcknowledgement.objects.filter(session=draft).count() == 1


def test_a_new_caution_point_on_an_acknowledged_draft_needs_a_new_acknowledgement(
    acupuncturist, patient
):
    _pregnant(patient)
    draft, _ = _save(acupuncturist, patient=patient, points="LI4, ST36", acknowledged=True)
    before = _snapshot(draft)

    with pytest.raises(SafetyRefused):
        _save(acupuncturist, session=draft, points="LI4, SP6, ST36")

    assert _snapshot(draft) == before


def test_without_a_submitted_intake_nothing_is_refused_and_nothing_needs_acknowledging(
    acupuncturist,
):
    patient = PatientFactory()

    session, saved = _save(
        acupuncturist,
        patient=patient,
        points="LI4, SP6",
        modalities=[EA],
        ea_frequency_hz=2,
        ea_intensity="mild",
    )

    assert saved
    assert session_sign(session=session, user=acupuncturist).is_signed
