import datetime

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import PractitionerProfile, User
from intake.models import Intake, Patient
from plans.models import ReferralContact
from plans.services import plan_create
from scheduling.models import Appointment
from sessions.models import Point, Protocol, SessionPoint, TreatmentSession
from sessions.points import parse_points
from sessions.services import session_sign

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """UserFactory(role="Front desk") puts the user in that role's group."""
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class PractitionerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PractitionerProfile

    user = factory.SubFactory(UserFactory, role="Acupuncturist")
    licence_number = factory.Sequence(lambda n: f"AC-{n:05d}")
    licensing_body = "State Acupuncture Board"
    licence_expiry = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=365)
    )


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=90)
    sex = factory.Iterator(["female", "male", "other", "unknown"])
    phone = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")
    email = factory.LazyAttribute(lambda p: f"{p.first_name}.{p.last_name}@example.com".lower())
    created_by = factory.SubFactory(UserFactory, role="Front desk")
    updated_by = factory.SelfAttribute("created_by")


SCREENING_NO = {
    "pregnant": "no",
    "pacemaker": "no",
    "bleeding_disorder": "no",
    "anticoagulants": "no",
    "epilepsy": "no",
    "diabetes": "no",
    "fainting": "no",
    "skin_problem": "no",
    "metal_implant": "no",
}


class IntakeFactory(factory.django.DjangoModelFactory):
    """A draft intake of a registered patient, nothing answered yet.

    IntakeFactory(submitted=True) gives a complete, submitted intake; add
    status="reviewed", reviewed_by=<user>, reviewed_at=<time> for a reviewed one.
    """

    class Meta:
        model = Intake

    patient = factory.SubFactory(PatientFactory)
    first_name = factory.LazyAttribute(lambda i: i.patient.first_name if i.patient else "Sam")
    last_name = factory.LazyAttribute(lambda i: i.patient.last_name if i.patient else "Rivera")
    date_of_birth = factory.LazyAttribute(
        lambda i: i.patient.date_of_birth if i.patient else datetime.date(1980, 4, 25)
    )
    sex = factory.LazyAttribute(lambda i: i.patient.sex if i.patient else "unknown")
    phone = factory.LazyAttribute(lambda i: i.patient.phone if i.patient else "+14155550199")

    class Params:
        submitted = factory.Trait(
            status=Intake.Status.SUBMITTED,
            completed_steps=[1, 2, 3, 4, 5],
            pain_types=["neck_pain"],
            pain_now=7,
            pain_worst=8,
            months_with_pain=6,
            psfs_activity_1="Turning my head to drive",
            psfs_score_1=4,
            consent_to_treatment=True,
            privacy_acknowledged=True,
            signature_name=factory.LazyAttribute(lambda i: f"{i.first_name} {i.last_name}"),
            consented_at=factory.LazyFunction(timezone.now),
            submitted_at=factory.LazyFunction(timezone.now),
            **SCREENING_NO,
        )


def make_invitation(patient, *, created_by):
    """A real intake link for the patient: (invitation, token, path of the link)."""
    from intake.services import invitation_create

    invitation, token = invitation_create(patient=patient, created_by=created_by)
    return invitation, token, f"/intake/{token}/"


class ProtocolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Protocol

    name = factory.Sequence(lambda n: f"Protocol {n}")
    points = "GB20, GB21, LI4"
    created_by = factory.SubFactory(UserFactory, role="Acupuncturist")
    updated_by = factory.SelfAttribute("created_by")


class TreatmentSessionFactory(factory.django.DjangoModelFactory):
    """A draft session of today, pain 6 before and 3 after, 10 needles in and out.

    TreatmentSessionFactory(signed=True) signs it as its author;
    TreatmentSessionFactory(points="GB20 L, BL23") adds needled points.
    """

    class Meta:
        model = TreatmentSession
        skip_postgeneration_save = True

    patient = factory.SubFactory(PatientFactory)
    created_by = factory.SubFactory(UserFactory, role="Acupuncturist")
    date = factory.LazyFunction(timezone.localdate)
    pain_before = 6
    pain_after = 3
    modalities = factory.LazyFunction(lambda: ["manual_needling"])
    needles_inserted = 10
    needles_removed = 10
    retention_minutes = 20
    position = "prone"

    class Params:
        signed = factory.Trait(
            status="signed",
            signed_at=factory.LazyFunction(timezone.now),
            signed_by=factory.SelfAttribute("created_by"),
        )

    @factory.post_generation
    def points(self, create, extracted, **kwargs):
        if create and extracted:
            add_points(self, extracted)


def add_points(session, text: str) -> None:
    """Needle the typed points ("GB20 L, BL23") in the session, after any it has."""
    parsed = parse_points(text)
    assert parsed.ok, parsed.errors()
    start = session.needled_points.count()
    by_code = Point.objects.in_bulk([p.code for p in parsed.points], field_name="code")
    SessionPoint.objects.bulk_create(
        SessionPoint(
            session=session, point=by_code[p.code], side=p.side, level=p.level, order=start + i
        )
        for i, p in enumerate(parsed.points, start=1)
    )


# Ten points, for sessions in query-count tests.
TEN_POINTS = "GB20, GB21, BL10, SI3, TE5, GV14, LI4, LR3, BL23, BL40"

# What every POST of the session form carries besides its fields: the action and an
# empty adverse-event formset.
NEW_SESSION_FORM = {
    "action": "save",
    "adverse_events-TOTAL_FORMS": "0",
    "adverse_events-INITIAL_FORMS": "0",
    "adverse_events-MIN_NUM_FORMS": "0",
    "adverse_events-MAX_NUM_FORMS": "20",
}


class ReferralContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferralContact

    name = factory.Sequence(lambda n: f"Dr. Referral {n}")
    profession = "physician"


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A booked 45-minute visit tomorrow at 10:00 (written directly, not through the
    booking service, so past visits can be made too)."""

    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    practitioner = factory.SubFactory(UserFactory, role="Acupuncturist")
    starts_at = factory.LazyFunction(
        lambda: timezone.make_aware(
            datetime.datetime.combine(
                timezone.localdate() + datetime.timedelta(days=1), datetime.time(10, 0)
            )
        )
    )
    length_minutes = 45
    created_by = factory.SelfAttribute("practitioner")


def make_plan(patient, *, user, **details):
    """Start a plan through the plan service (so the cadence is the policy's replay).

    `user` is the acupuncturist; any PlanForm field can be given in `details`.
    """
    data = {"practitioner": user, **details}
    return plan_create(patient=patient, data=data, user=user)


def sign_history(patient, *, user, scores, start=None, step_days=7):
    """Log and sign one session per pain-before score, `step_days` apart, through
    session_sign (so an active plan counts each one, and the safety rules meet the
    patient's intake as for any note). Returns the sessions."""
    start = start or timezone.localdate() - datetime.timedelta(days=step_days * len(scores))
    signed = []
    for number, score in enumerate(scores):
        session = TreatmentSessionFactory(
            patient=patient,
            created_by=user,
            date=start + datetime.timedelta(days=step_days * number),
            pain_before=score,
            pain_after=max(score - 2, 0),
        )
        signed.append(session_sign(session=session, user=user))
    return signed


def make_check_in(patient, *, by=None, reason="on_demand", answers=None):
    """A check-in made through the service (the patient needs a submitted intake);
    answered with `answers` when given."""
    from checkins.services import checkin_create, checkin_submit

    check_in = checkin_create(patient, by=by, reason=reason)
    if answers is not None:
        check_in = checkin_submit(check_in, answers)
    return check_in
