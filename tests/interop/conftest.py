import datetime

import pytest
from django.utils import timezone

from intake.models import IntakeMedication, IntakePainRegion
from sessions.models import AdverseEvent, SessionAddendum, TreatmentSession
from sessions.services import session_sign
from tests.factories import (
    AppointmentFactory,
    IntakeFactory,
    PatientFactory,
    ReferralContactFactory,
    TreatmentSessionFactory,
    make_check_in,
    make_plan,
)


@pytest.fixture
def full_patient(front_desk, acupuncturist, clinic_admin):
    """A patient with every part of a record: intake (medications, regions), signed
    sessions with points, modalities and an adverse event, an addendum, a plan with
    goals and a referral, an answered check-in, appointments, and a draft and a
    discarded note that must not leave the clinic."""
    patient = PatientFactory(
        first_name="Mei",
        last_name="Lindqvist",
        preferred_name="May",
        address="12 Harbour Road",
        emergency_contact_name="Olof Lindqvist",
        emergency_contact_relationship="husband",
        emergency_contact_phone="+14155550177",
        created_by=front_desk,
    )
    intake = IntakeFactory(
        patient=patient,
        submitted=True,
        pain_types=["neck_pain", "migraine"],
        headache_days=12,
        pain_medication_doses=5,
        psfs_activity_2="Sleeping through the night",
        psfs_score_2=3,
        pain_notes="Worse after long drives =SUM(A1)",
        onset="gradual",
    )
    IntakePainRegion.objects.create(intake=intake, region="neck", score=7)
    IntakePainRegion.objects.create(intake=intake, region="head")
    IntakePainRegion.objects.create(intake=intake, region="legs", side="left", score=5)
    IntakeMedication.objects.create(
        intake=intake, name="Ibuprofen", dose="400 mg", frequency="when needed", for_pain=True
    )
    IntakeMedication.objects.create(intake=intake, name="Levothyroxine", dose="50 mcg")
    today = timezone.localdate()
    first = TreatmentSessionFactory(
        patient=patient,
        created_by=acupuncturist,
        date=today - datetime.timedelta(days=14),
        pain_before=7,
        pain_after=4,
        points="GB20 L, BL23, GV20, LI4 R",
        modalities=["manual_needling", "electroacupuncture"],
        ea_frequency_hz=2,
        ea_intensity="mild",
        headache_days=10,
        pain_medication_doses=3,
        subjective="Neck stiff after work.",
    )
    session_sign(session=first, user=acupuncturist)
    AdverseEvent.objects.create(
        session=first,
        kind="bruising",
        severity="mild",
        causality="probable",
        action_taken="Pressure applied",
    )
    SessionAddendum.objects.create(
        session=first, text="Patient rang: bruise gone next day.", created_by=acupuncturist
    )
    second = TreatmentSessionFactory(
        patient=patient,
        created_by=acupuncturist,
        date=today - datetime.timedelta(days=7),
        pain_before=5,
        pain_after=3,
        points="GB21",
    )
    session_sign(session=second, user=acupuncturist)
    draft = TreatmentSessionFactory(
        patient=patient, created_by=acupuncturist, subjective="DRAFT-NOT-FOR-EXPORT"
    )
    discarded = TreatmentSessionFactory(
        patient=patient,
        created_by=acupuncturist,
        status=TreatmentSession.Status.DISCARDED,
        discarded_at=timezone.now(),
        discarded_by=acupuncturist,
        discard_reason="Wrong patient",
    )
    make_plan(
        patient,
        user=acupuncturist,
        target_pain=2,
        functional_goals="Drive for an hour without pain",
        referrals=[ReferralContactFactory(name="Dr. Amal Haddad", organisation="Bay Clinic")],
        referral_notes="Ask about imaging",
    )
    make_check_in(
        patient,
        by=acupuncturist,
        answers={
            "pain_now": 4,
            "pain_worst": 6,
            "psfs_score_1": 6,
            "psfs_score_2": 5,
            "pain_medication_doses": 2,
            "headache_days": 6,
            "pgic": 2,
        },
    )
    AppointmentFactory(patient=patient, practitioner=acupuncturist)
    patient.draft_code = draft.code
    patient.discarded_code = discarded.code
    patient.signed_codes = {first.code, second.code}
    return patient
