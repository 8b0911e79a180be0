"""No message says anything clinical: every kind, by email and by text, subject, body
and calendar file, checked against the app's own clinical vocabulary.

A text on a shared phone or an email on a work account must not tell anyone what
the patient is treated for: only the clinic, the practitioner, the time, the place."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from checkins.services import checkin_create, checkin_send
from intake import vocabulary as intake_vocabulary
from messaging.models import Message
from messaging.services import deliver_due
from plans import cadence
from plans.models import Plan
from plans.recalls import recalls_due
from scheduling.notices import appointment_booked, appointment_cancelled, reminders_due
from sessions import vocabulary as session_vocabulary
from sessions.points import MERIDIAN_NAMES, all_codes
from tests.factories import AppointmentFactory, IntakeFactory, PatientFactory, make_plan

pytestmark = pytest.mark.django_db

VOCABULARIES = [
    intake_vocabulary.PainType,
    intake_vocabulary.BodyRegion,
    intake_vocabulary.Cause,
    intake_vocabulary.Onset,
    intake_vocabulary.Trigger,
    session_vocabulary.Modality,
    session_vocabulary.Position,
    session_vocabulary.ElectroIntensity,
    session_vocabulary.AdverseEventType,
    session_vocabulary.Severity,
    session_vocabulary.Causality,
    # Not the screening answers (yes, no, not sure) or the sides (L, R): no meaning alone.
]

WORDS_OF_THE_CLINIC = {
    "pain",
    "plan",
    "cadence",
    "migraine",
    "headache",
    "needle",
    "needles",
    "needling",
    "needled",
    "session",
    "session note",
    "note",
    "notes",
    "treatment",
    "treated",
    "condition",
    "diagnosis",
    "symptom",
    "symptoms",
    "point",
    "points",
    "intake",
    "progress",
    "improvement",
    "discharge",
    "referral",
    "safety",
    "adverse",
}


def clinical_words() -> set[str]:
    words = set(WORDS_OF_THE_CLINIC)
    for vocabulary in VOCABULARIES:
        for value, label in vocabulary.choices:
            words.add(value.replace("_", " "))
            words.update(part.strip() for part in re.split(r"[/:()]", label) if part.strip())
    words.update(all_codes())
    words.update(MERIDIAN_NAMES.values())
    words.update(rung.words for rung in cadence.RUNGS)
    words.update(rung.label for rung in cadence.RUNGS)
    return {word.lower() for word in words}


def clinical_words_in(text: str) -> list[str]:
    return sorted(
        word for word in clinical_words() if re.search(rf"\b{re.escape(word)}\b", text, re.I)
    )


def test_the_list_finds_what_it_is_meant_to():
    assert clinical_words_in("Your migraine treatment: GB20 and LI4, every 2 weeks.") == [
        "every 2 weeks",
        "gb20",
        "li4",
        "migraine",
        "treatment",
    ]
    assert {"lower back pain", "pain", "bladder"} <= set(
        clinical_words_in("Lower back pain, and the Bladder meridian")
    )


def every_kind_of_message(patient, practitioner):
    """A confirmation, a reminder, a cancellation, a recall and a check-in for the patient."""
    soon = timezone.now() + datetime.timedelta(days=2)
    booked = AppointmentFactory(
        patient=patient,
        practitioner=practitioner,
        starts_at=soon,
        created_at=soon - datetime.timedelta(days=7),
    )
    appointment_booked(booked)
    reminders_due(soon - datetime.timedelta(hours=20))
    appointment_cancelled(
        AppointmentFactory(patient=patient, practitioner=practitioner, status="cancelled")
    )
    plan = make_plan(patient, user=practitioner, functional_goals="Migraine-free weekends")
    Plan.objects.filter(pk=plan.pk).update(next_due=timezone.localdate())
    # The booking above is ahead: recall the patient as if it were not there.
    booked.status = "cancelled"
    booked.save()
    recalls_due(
        timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(12)))
    )
    # A check-in of a patient whose intake names migraine: the message says none of it.
    IntakeFactory(patient=patient, submitted=True, pain_types=["migraine"])
    checkin_send(checkin_create(patient, by=None, reason="sessions"))


def without_link_tokens(text: str) -> str:
    # A token is random letters: one could spell a point code by chance.
    return re.sub(r"/check-in/[A-Za-z0-9_-]+/", "/check-in/[token]/", text)


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_no_message_of_any_kind_says_anything_clinical(
    channel, clinic, practitioner, front_desk, texts, settings
):
    settings.TIME_ZONE = "America/Los_Angeles"
    patient = PatientFactory(
        first_name="Jane",
        last_name="Doe",
        email="jane.doe@example.com",
        phone="+14155550100",
        reminder_channel=channel,
        created_by=front_desk,
    )

    every_kind_of_message(patient, practitioner)
    assert deliver_due()["sent"] == 5

    messages = Message.objects.order_by("pk")
    assert sorted(m.kind for m in messages) == [
        "cancellation",
        "check_in",
        "confirmation",
        "recall",
        "reminder",
    ]
    sent = [(m.subject, m.body, bytes(m.attachment).decode()) for m in messages]
    sent += [(e.subject, e.body, "".join(a.content for a in e.attachments)) for e in mail.outbox]
    sent += [("", text["body"], "") for text in texts]
    assert len(sent) == 5 + 5
    for subject, body, attachment in sent:
        body = without_link_tokens(body)
        assert clinical_words_in(subject) == [], subject
        assert clinical_words_in(body) == [], body
        assert clinical_words_in(attachment) == [], attachment
