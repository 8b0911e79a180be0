"""The session services' refusals, driven through the services themselves, not the
pages: who may change, discard, sign or add to a note, what a note needs before it is
signed, and the safety rules, which the services check against the patient's last
submitted intake without anyone handing them a screening."""

import datetime
import re
import uuid

import pytest
from django.utils import timezone

from accounts import roles
from intake.models import Patient
from intake.services import ChartArchived, patient_archive
from scheduling.models import Appointment
from sessions import services as session_services
from sessions.models import SafetyAcknowledgement, SessionAddendum, TreatmentSession
from sessions.points import parse_points
from sessions.safety import Rule
from sessions.services import (
    AppointmentLinkRefused,
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
    AppointmentFactory,
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


# --- A session started from a visit -----------------------------------------------------


def _today_at(hour: int, *, days: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _booked(practitioner, patient, *, hour=9, days=0, **fields) -> Appointment:
    """A visit of the patient with the practitioner, today at `hour` (already begun
    or not: a session may be started before the visit's time)."""
    return AppointmentFactory(
        practitioner=practitioner,
        patient=patient,
        starts_at=_today_at(hour, days=days),
        **fields,
    )


def _save_from(visit, user, *, patient=None, code=None):
    return session_save(
        patient=patient or visit.patient,
        data=_note(),
        points=parse_points("GB20, ST36").points,
        adverse_events=[],
        user=user,
        appointment_code=code or visit.code,
    )


def test_a_session_started_from_a_visit_is_linked_to_it(acupuncturist, patient):
    visit = _booked(acupuncturist, patient)

    session, saved = _save_from(visit, acupuncturist)

    assert saved
    assert TreatmentSession.objects.get(pk=session.pk).appointment == visit


def _another_patients_visit(acupuncturist, patient):
    return _booked(acupuncturist, PatientFactory())


def _unknown_visit(acupuncturist, patient):
    visit = _booked(acupuncturist, patient)
    visit.code = uuid.uuid4()  # not saved: no visit has this code
    return visit


def _another_practitioners_visit(acupuncturist, patient):
    return _booked(_colleague(), patient)


def _cancelled_visit(acupuncturist, patient):
    return _booked(acupuncturist, patient, status=Appointment.Status.CANCELLED)


def _no_show(acupuncturist, patient):
    return _booked(acupuncturist, patient, status=Appointment.Status.NO_SHOW)


def _visit_of_a_later_day(acupuncturist, patient):
    return _booked(acupuncturist, patient, days=1)


def _visit_with_a_draft_already(acupuncturist, patient):
    visit = _booked(acupuncturist, patient)
    _draft(acupuncturist, patient=patient, appointment=visit)
    return visit


NOT_LINKABLE = {
    "another patient's visit": (
        _another_patients_visit,
        "This visit was not found among the patient's visits.",
    ),
    "an unknown visit": (_unknown_visit, "This visit was not found among the patient's visits."),
    "another practitioner's visit": (
        _another_practitioners_visit,
        "only they can start its session.",
    ),
    "a cancelled visit": (
        _cancelled_visit,
        "This visit is marked cancelled: no session can be started from it.",
    ),
    "a no-show": (_no_show, "This visit is marked no-show: no session can be started from it."),
    "a visit of a later day": (
        _visit_of_a_later_day,
        "This visit is on a later day: start its session on the day of the visit.",
    ),
    "a visit with a session already": (
        _visit_with_a_draft_already,
        "This visit already has a session note.",
    ),
}


@pytest.mark.parametrize("case", NOT_LINKABLE.values(), ids=NOT_LINKABLE.keys())
def test_a_session_cannot_be_started_from_a_visit_the_rules_refuse(acupuncturist, patient, case):
    make_visit, message = case
    visit = make_visit(acupuncturist, patient)
    sessions_before = TreatmentSession.objects.count()

    with pytest.raises(AppointmentLinkRefused, match=re.escape(message)):
        _save_from(visit, acupuncturist, patient=patient)

    assert TreatmentSession.objects.count() == sessions_before


def test_a_role_that_cannot_log_sessions_cannot_start_one_from_a_visit(patient):
    admin = UserFactory(role=roles.CLINIC_ADMIN)
    visit = _booked(admin, patient)

    with pytest.raises(AppointmentLinkRefused, match="Your role cannot log sessions."):
        _save_from(visit, admin)


def test_the_refusal_of_a_visit_with_a_session_names_that_session(acupuncturist, patient):
    visit = _booked(acupuncturist, patient)
    first, _ = _save_from(visit, acupuncturist)

    with pytest.raises(AppointmentLinkRefused) as refused:
        _save_from(visit, acupuncturist)

    assert refused.value.session == first


def test_a_discarded_draft_frees_its_visit_for_a_new_session(acupuncturist, patient):
    visit = _booked(acupuncturist, patient)
    draft, _ = _save_from(visit, acupuncturist)
    session_discard(session=draft, reason="Logged in error.", user=acupuncturist)

    session, saved = _save_from(visit, acupuncturist)

    assert saved and session.appointment == visit


def test_a_visit_already_marked_attended_or_arrived_can_take_its_session(acupuncturist, patient):
    arrived = _booked(acupuncturist, patient, hour=8, status=Appointment.Status.ARRIVED)
    attended = _booked(acupuncturist, PatientFactory(), status=Appointment.Status.ATTENDED)

    assert _save_from(arrived, acupuncturist)[0].appointment == arrived
    assert _save_from(attended, acupuncturist)[0].appointment == attended


def test_editing_a_draft_keeps_the_visit_it_was_started_from(acupuncturist, patient):
    visit = _booked(acupuncturist, patient)
    other = _booked(acupuncturist, patient, hour=15)
    draft, _ = _save_from(visit, acupuncturist)

    session_save(
        patient=patient,
        session=draft,
        data=_note(pain_before=4),
        points=parse_points("GB20").points,
        adverse_events=[],
        user=acupuncturist,
        appointment_code=other.code,
    )

    draft.refresh_from_db()
    assert (draft.appointment, draft.pain_before) == (visit, 4)


def test_signing_a_session_started_from_a_visit_marks_the_visit_attended(acupuncturist, patient):
    visit = _booked(acupuncturist, patient, status=Appointment.Status.ARRIVED)
    draft, _ = _save_from(visit, acupuncturist)

    session_sign(session=draft, user=acupuncturist)

    visit.refresh_from_db()
    assert visit.status == Appointment.Status.ATTENDED
    assert visit.status_changed_by == acupuncturist


def test_a_booked_visit_whose_session_is_signed_is_attended(acupuncturist, patient):
    visit = _booked(acupuncturist, patient)
    draft, _ = _save_from(visit, acupuncturist)
    session_sign(session=draft, user=acupuncturist)
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.ATTENDED


def test_a_refused_signature_leaves_the_visit_as_it_was(acupuncturist, patient):
    visit = _booked(acupuncturist, patient, status=Appointment.Status.ARRIVED)
    draft, _ = _save_from(visit, acupuncturist)
    TreatmentSession.objects.filter(pk=draft.pk).update(pain_after=None)

    with pytest.raises(SigningRefused):
        session_sign(session=draft, user=acupuncturist)

    visit.refresh_from_db()
    assert visit.status == Appointment.Status.ARRIVED


def test_a_visit_is_not_marked_attended_when_marking_it_fails_the_signature_is_undone(
    acupuncturist, patient, monkeypatch
):
    visit = _booked(acupuncturist, patient)
    draft, _ = _save_from(visit, acupuncturist)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(session_services, "appointment_attended", broken)
    with pytest.raises(RuntimeError):
        session_sign(session=draft, user=acupuncturist)

    draft.refresh_from_db()
    assert draft.is_draft  # one transaction: the note is not signed without its visit


def test_discarding_a_draft_started_from_a_visit_leaves_the_visit_as_it_was(acupuncturist, patient):
    visit = _booked(acupuncturist, patient, status=Appointment.Status.ARRIVED)
    draft, _ = _save_from(visit, acupuncturist)

    session_discard(session=draft, reason="Logged in error.", user=acupuncturist)

    visit.refresh_from_db()
    assert visit.status == Appointment.Status.ARRIVED


def test_a_session_not_started_from_a_visit_marks_no_visit_attended(acupuncturist, patient):
    visit = _booked(acupuncturist, patient)
    draft, _ = _save(acupuncturist, patient=patient)

    session_sign(session=draft, user=acupuncturist)

    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED


def test_a_visit_marked_a_no_show_meanwhile_keeps_its_mark_and_the_note_is_signed(
    acupuncturist, patient
):
    visit = _booked(acupuncturist, patient)
    draft, _ = _save_from(visit, acupuncturist)
    Appointment.objects.filter(pk=visit.pk).update(status=Appointment.Status.NO_SHOW)

    signed = session_sign(session=draft, user=acupuncturist)

    visit.refresh_from_db()
    assert signed.is_signed
    assert visit.status == Appointment.Status.NO_SHOW
