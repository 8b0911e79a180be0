"""Valid form data as the browser sends it, shared by the tests that post forms.

Each builder returns a complete, valid payload; tests override the fields they are
about. `as_sent` reads a page's own form instead, hidden fields (versions, form
tokens) included.
"""

import datetime

from django.utils import timezone

from intake.models import Intake, Patient
from intake.services import intake_save_step, intake_start, intake_submit
from intake.steps import STEPS, AboutYouForm, PainForm, medication_formset
from tests.browser_forms import PostForms
from tests.factories import SCREENING_NO, IntakeFactory, PatientFactory


def today() -> datetime.date:
    return timezone.localdate()


def iso(days: int) -> str:
    return (today() + datetime.timedelta(days=days)).isoformat()


def open_day(days_ahead: int = 1) -> datetime.date:
    """The first day from `days_ahead` days ahead that the clinic opens (Monday to
    Friday, as scheduling's data migration sets), for a booking that must not be
    refused for falling on a weekend."""
    day = today() + datetime.timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def as_sent(client, url: str) -> dict:
    """What the browser sends back from the page's own form (hidden fields included)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    for action, values in PostForms(response.content.decode()).forms:
        if action in ("", url):
            values.pop("csrfmiddlewaretoken", None)
            return {k: v if len(v) > 1 else v[0] for k, v in values.items()}
    raise AssertionError(f"no form posting to {url}")


PATIENT = {
    "first_name": "Ada",
    "last_name": "Quill",
    "preferred_name": "Addy",
    "date_of_birth": "1980-04-25",
    "sex": "female",
    "phone": "(415) 555-0142",
    "email": "ada.quill@example.com",
    "address": "1 Main Street",
    "emergency_contact_name": "Bo Quill",
    "emergency_contact_relationship": "Brother",
    "emergency_contact_phone": "415 555 0143",
}

# Each intake step's answers.
STEP = {
    1: {
        "preferred_name": "Addy",
        "phone": "(415) 555-0142",
        "email": "ada.quill@example.com",
        "address": "1 Main Street",
        "emergency_contact_name": "Bo Quill",
        "emergency_contact_relationship": "Brother",
        "emergency_contact_phone": "415 555 0143",
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
        "pain_location_side_shoulders": "right",
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
        "psfs_activity_3": "",
        "psfs_score_3": "",
    },
    4: {
        "medications-TOTAL_FORMS": "2",
        "medications-INITIAL_FORMS": "0",
        "medications-MIN_NUM_FORMS": "0",
        "medications-MAX_NUM_FORMS": "30",
        "medications-0-name": "Ibuprofen",
        "medications-0-dose": "400 mg",
        "medications-0-frequency": "twice a day",
        "medications-0-for_pain": "on",
        "medications-1-name": "Sertraline",
        "medications-1-dose": "50 mg",
        "medications-1-frequency": "",
        "medications-1-DELETE": "",
        "action": "next",
    },
    5: {
        **SCREENING_NO,
        "anticoagulants": "yes",
        "pregnancy_weeks": "",
        "health_notes": "Asthma.",
        "previous_acupuncture": "yes",
        "previous_acupuncture_notes": "It helped.",
        "goals": "Drive without pain.",
    },
    6: {
        "consent_to_treatment": "on",
        "privacy_acknowledged": "on",
        "signature_name": "Ada Quill",
    },
}
IDENTITY = {k: PATIENT[k] for k in ("first_name", "last_name", "date_of_birth", "sex")}


def adverse_events(*rows: dict) -> dict:
    data = {
        "adverse_events-TOTAL_FORMS": str(len(rows)),
        "adverse_events-INITIAL_FORMS": "0",
        "adverse_events-MIN_NUM_FORMS": "0",
        "adverse_events-MAX_NUM_FORMS": "20",
    }
    for n, row in enumerate(rows):
        data.update({f"adverse_events-{n}-{k}": v for k, v in row.items()})
    return data


def session_note(**changes) -> dict:
    """A complete note of today as the session form posts it: manual needling, counts
    that match, no adverse event. `changes` replace or add fields."""
    return {
        "date": today().isoformat(),
        "pain_before": "7",
        "pain_after": "4",
        "points": "GB20, GB21 L, LI4",
        "modalities": ["manual_needling"],
        "ea_frequency_hz": "",
        "ea_intensity": "",
        "needles_inserted": "5",
        "needles_removed": "5",
        "needle_count_explanation": "",
        "retention_minutes": "25",
        "position": "prone",
        "subjective": "Neck stiff since Monday.",
        "objective": "Tight upper trapezius on the left.",
        "range_of_motion": "Cervical rotation L 70, R 50.",
        "assessment": "Myofascial neck pain.",
        "plan_notes": "Review in one week.",
        "pain_medication_doses": "2",
        "action": "save",
        **adverse_events(),
        **changes,
    }


def ea_visit(**changes) -> dict:
    """Yesterday's note with electroacupuncture, no adverse event."""
    return (
        session_note(
            date=iso(-1),
            pain_before="6",
            pain_after="3",
            points="GB20 L, BL23, LI4",
            modalities=["manual_needling", "electroacupuncture"],
            ea_frequency_hz="4",
            ea_intensity="moderate",
            needles_inserted="12",
            needles_removed="12",
            subjective="Neck stiffer after a long drive.",
            objective="Tender at GB21 both sides.",
            range_of_motion="Cervical rotation L 70°, R 45°.",
            assessment="Tension-type pattern, improving.",
            plan_notes="Weekly for three more visits.",
            pain_medication_doses="3",
        )
        | changes
    )


def visit() -> dict:
    """A complete session note for a patient with headaches, its warnings acknowledged,
    the regions treated marked, with an adverse event, as the form posts it."""
    return ea_visit(
        headache_days="6",
        safety_acknowledged="on",
        regions_treated=["neck", "shoulders"],
        regions_treated_side_shoulders="left",
        **adverse_events(
            {
                "kind": "bleeding",
                "severity": "mild",
                "causality": "certain",
                "action_taken": "Pressure with cotton ball",
                "notes": "Stopped within a minute",
            }
        ),
    )


def treated_patient() -> Patient:
    """A patient with a submitted intake (migraine, so headache days are asked)."""
    patient = PatientFactory(date_of_birth=datetime.date(1980, 4, 25))
    IntakeFactory(
        patient=patient,
        submitted=True,
        pain_types=["migraine"],
        headache_days=8,
        goals="Fewer migraines.",
    )
    return patient


def plan_form(practitioner, **changes) -> dict:
    return {
        "practitioner": str(practitioner.pk),
        "months_with_pain": "12",
        "target_pain": "2",
        "functional_goals": "Turn my head to reverse the car",
        "pain_pattern": "Aching neck, worse after desk work",
        "advice": ["exercise", "posture"],
        "advice_notes": "Chin tucks twice a day.",
        "referral_notes": "",
        "review_date": iso(42),
        "check_in_every": "4",
        **changes,
    }


def booking(practitioner, *, days_ahead: int = 2, time: str = "10:30", **changes) -> dict:
    return {
        "date": open_day(days_ahead).isoformat(),
        "time": time,
        "practitioner": str(practitioner.pk),
        "length_minutes": "45",
        **changes,
    }


def step_data(step: int, *, self_registered: bool) -> dict:
    return {**(IDENTITY if step == 1 and self_registered else {}), **STEP[step]}


def save_steps(intake: Intake, steps) -> None:
    """Save steps as the step pages do, without going through them."""
    self_registered = intake.patient_id is None
    for step in steps:
        data = step_data(step, self_registered=self_registered)
        if step == 4:
            formset = medication_formset(data, intake=intake)
            assert formset.is_valid(), formset.errors
            intake_save_step(intake=intake, step=4, answers={}, medications=formset.rows())
            continue
        if step == 1:
            form = AboutYouForm(data, identity_editable=self_registered)
        else:
            form = STEPS[step].form_class(data)
        assert form.is_valid(), form.errors
        intake_save_step(
            intake=intake,
            step=step,
            answers=form.answers(),
            regions=form.regions() if isinstance(form, PainForm) else None,
        )


def pending_registration() -> Intake:
    """A new patient's submitted self-registration, waiting for the front desk."""
    invitation, _token = intake_start()
    intake = invitation.intake
    save_steps(intake, range(1, 6))
    return intake_submit(
        intake=intake,
        consent_to_treatment=True,
        privacy_acknowledged=True,
        signature_name="Ada Quill",
        ip="203.0.113.9",
    )
