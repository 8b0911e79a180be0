"""Demo data: the three demo staff users and a dozen varied patients.

Idempotent: running it again updates the same rows instead of adding more.
Refuses to run with DEBUG off, so it can never touch a production database.
"""

import base64
import datetime
import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles
from accounts.models import PractitionerProfile, User
from checkins.models import CheckIn
from core.models import Clinic
from intake import body_map
from intake.models import (
    CONTACT_FIELDS,
    IDENTITY_FIELDS,
    SCREENING_QUESTIONS,
    Intake,
    IntakeInvitation,
    IntakeMedication,
    IntakePainRegion,
    Patient,
)
from intake.services import token_hash
from messaging.models import Message
from plans import services as plan_services
from plans.models import Plan, ReferralContact
from scheduling.models import Appointment, Closure, OpeningHours, PractitionerHours, Weekday
from scheduling.selectors import next_free_slot
from scheduling.services import appointment_book
from sessions import points as point_codes
from sessions.models import AdverseEvent, Point, Protocol, SessionPoint, TreatmentSession

DEMO_PASSWORD = "acuclinic-demo"  # nosec B105
# docs/reference.md: every demo user's authenticator uses this base32 secret (demo data only).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # nosec B105

DEMO_USERS = [
    # username, first name, last name, role, is_staff (Django admin access)
    ("frontdesk", "Dana", "Reyes", roles.FRONT_DESK, False),
    ("acupuncturist", "Lin", "Zhou", roles.ACUPUNCTURIST, False),
    # A second practitioner, so the schedule shows a column each.
    ("acupuncturist2", "Ana", "Rivera", roles.ACUPUNCTURIST, False),
    ("clinicadmin", "Sam", "Okafor", roles.CLINIC_ADMIN, True),
]

# Fixed codes so repeated runs update the same charts.
_NAMESPACE = uuid.UUID("6f1c1f0e-3b7a-4c53-9d0e-7a1c2b3d4e5f")

DEMO_PATIENTS = [
    dict(
        first_name="Margaret",
        last_name="Holloway",
        preferred_name="Maggie",
        date_of_birth=datetime.date(1958, 3, 14),
        sex="female",
        phone="+14155550134",
        email="maggie.holloway@example.com",
        address="1180 Oak Street\nSan Francisco, CA 94117",
        emergency_contact_name="Peter Holloway",
        emergency_contact_relationship="Husband",
        emergency_contact_phone="+14155550135",
    ),
    dict(
        first_name="David",
        last_name="Nguyen",
        date_of_birth=datetime.date(1986, 11, 2),
        sex="male",
        phone="+14155550172",
        email="d.nguyen@example.com",
        address="45 Harbor View Apt 12\nOakland, CA 94607",
        emergency_contact_name="Thi Nguyen",
        emergency_contact_relationship="Sister",
        emergency_contact_phone="+14155550173",
    ),
    dict(
        first_name="Priya",
        last_name="Raman",
        date_of_birth=datetime.date(1992, 6, 21),
        sex="female",
        phone="+12125550199",
        email="priya.raman@example.org",
    ),
    dict(
        first_name="Robert",
        last_name="Kowalski",
        preferred_name="Bob",
        date_of_birth=datetime.date(1949, 1, 30),
        sex="male",
        phone="+15035550100",
        address="782 Pine Ridge Road\nPortland, OR 97205",
        emergency_contact_name="Anna Kowalski",
        emergency_contact_relationship="Daughter",
        emergency_contact_phone="+15035550101",
    ),
    dict(
        first_name="Aisha",
        last_name="Bello",
        date_of_birth=datetime.date(1979, 9, 9),
        sex="female",
        phone="+14155550148",
        email="aisha.bello@example.net",
    ),
    dict(
        first_name="Tomás",
        last_name="García",
        date_of_birth=datetime.date(1971, 4, 17),
        sex="male",
        phone="+14155550161",
        email="tomas.garcia@example.com",
        emergency_contact_name="Lucía García",
        emergency_contact_relationship="Wife",
        emergency_contact_phone="+14155550162",
    ),
    dict(
        first_name="Hannah",
        last_name="Schmidt",
        date_of_birth=datetime.date(2001, 12, 5),
        sex="female",
        phone="+16045550142",
        email="hannah.schmidt@example.ca",
        address="2150 W 4th Ave\nVancouver, BC V6K 1N6",
    ),
    dict(
        first_name="Alex",
        last_name="Morgan",
        date_of_birth=datetime.date(1995, 7, 28),
        sex="other",
        phone="+14155550187",
        email="alex.morgan@example.com",
    ),
    dict(
        first_name="James",
        last_name="O'Brien",
        preferred_name="Jim",
        date_of_birth=datetime.date(1964, 2, 11),
        sex="male",
        phone="+442079460958",
        email="jim.obrien@example.co.uk",
        emergency_contact_name="Siobhan O'Brien",
        emergency_contact_relationship="Partner",
        emergency_contact_phone="+442079460959",
    ),
    dict(
        first_name="Keiko",
        last_name="Tanaka",
        date_of_birth=datetime.date(1983, 10, 3),
        sex="female",
        phone="+14155550120",
        email="keiko.tanaka@example.jp",
    ),
    dict(
        first_name="Samuel",
        last_name="Adeyemi",
        date_of_birth=datetime.date(1975, 5, 19),
        sex="male",
        phone="+12125550145",
        email="sam.adeyemi@example.com",
    ),
    dict(
        first_name="Eleanor",
        last_name="Price",
        date_of_birth=datetime.date(1940, 8, 24),
        sex="female",
        phone="+14155550111",
        address="9 Elm Court\nSausalito, CA 94965",
        emergency_contact_name="Claire Price",
        emergency_contact_relationship="Daughter",
        emergency_contact_phone="+14155550112",
        status="archived",
        archive_reason="Moved out of the area",
    ),
    # Ana Rivera's patients, and one more of Lin Zhou's, for the clinic's outcomes.
    dict(
        first_name="Grace",
        last_name="Okoro",
        date_of_birth=datetime.date(1988, 1, 12),
        sex="female",
        phone="+14155550151",
        email="grace.okoro@example.com",
    ),
    dict(
        first_name="Daniel",
        last_name="Weiss",
        date_of_birth=datetime.date(1969, 9, 30),
        sex="male",
        phone="+14155550152",
        email="daniel.weiss@example.com",
    ),
    dict(
        first_name="Sofia",
        last_name="Rossi",
        date_of_birth=datetime.date(1979, 3, 3),
        sex="female",
        phone="+14155550153",
        email="sofia.rossi@example.com",
    ),
]


def demo_totp_key() -> str:
    """The demo secret as django-otp stores it (hex)."""
    return base64.b32decode(DEMO_TOTP_SECRET).hex()


class Command(BaseCommand):
    help = "Load demo staff users and patients (idempotent; refuses with DEBUG off)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo refuses to run with DJANGO_DEBUG off: demo users with known "
                "passwords must never reach a production database."
            )
        with transaction.atomic():
            users = self._seed_users()
            self._seed_patients(created_by=users["frontdesk"])
            self._seed_intakes(users)
            self._seed_protocols(created_by=users["acupuncturist"])
            self._seed_sessions(users)
            self._seed_plans(users)
            self._seed_clinic_day(users)
            self._seed_check_ins()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(DEMO_USERS)} staff users (password "
                f"'{DEMO_PASSWORD}'), {len(DEMO_PATIENTS)} patients, intakes in every status, "
                f"{len(DEMO_PROTOCOLS)} point protocols, a history of treatment sessions, "
                f"{len(DEMO_PLANS)} treatment plans and some booked visits.\n"
                f"Two-factor login: add the key {DEMO_TOTP_SECRET} to an authenticator app, "
                f"or run `python manage.py demo_totp` for the current code.\n"
                f"Try the patient's intake form: http://127.0.0.1:8000/intake/{DEMO_INTAKE_TOKEN}/"
            )
        )

    def _seed_users(self) -> dict[str, User]:
        users = {}
        for username, first_name, last_name, role, is_staff in DEMO_USERS:
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@clinic.example",
                    "is_staff": is_staff,
                    "is_active": True,
                },
            )
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            user.groups.set([Group.objects.get(name=role)])
            TOTPDevice.objects.update_or_create(
                user=user,
                name="Demo authenticator",
                defaults={"key": demo_totp_key(), "confirmed": True},
            )
            users[username] = user
        for username, licence in (
            ("acupuncturist", "L.Ac. 12345"),
            ("acupuncturist2", "L.Ac. 23456"),
        ):
            PractitionerProfile.objects.update_or_create(
                user=users[username],
                defaults={
                    "licence_number": licence,
                    "licensing_body": "California Acupuncture Board",
                    "licence_expiry": timezone.localdate() + datetime.timedelta(days=365),
                },
            )
        return users

    @staticmethod
    def _seed_check_ins() -> None:
        """Pain medicine at intake, and check-ins answered between visits (one still
        waiting), so the progress charts have more than sessions to show."""
        for name, doses in DEMO_INTAKE_DOSES.items():
            Intake.objects.filter(patient__code=_patient_code(name)).exclude(
                status=Intake.Status.DRAFT
            ).update(pain_medication_doses=doses)
        now = timezone.now()
        for name, answers_list in DEMO_CHECK_INS.items():
            patient = Patient.objects.get(code=_patient_code(name))
            intake = patient.intakes.submitted().order_by("-submitted_at").first()
            activities = {
                f"psfs_activity_{n}": getattr(intake, f"psfs_activity_{n}", "") if intake else ""
                for n in (1, 2, 3)
            }
            for number, answers in enumerate(answers_list):
                answers = dict(answers)
                when = now - datetime.timedelta(days=answers.pop("days_ago"))
                waiting = answers.pop("waiting", False)
                CheckIn.objects.update_or_create(
                    code=uuid.uuid5(_NAMESPACE, f"check-in {name} {number}"),
                    defaults={
                        "patient": patient,
                        "reason": CheckIn.Reason.SESSIONS,
                        "created_at": when - datetime.timedelta(hours=2),
                        "expires_at": when + CheckIn.VALID_FOR,
                        "submitted_at": None if waiting else when,
                        "asks_headache_days": bool(intake and intake.has_headaches),
                        **activities,
                        **answers,
                    },
                )

    @staticmethod
    def _seed_clinic_day(users: dict[str, User]) -> None:
        """The clinic's details and hours, reminder choices, and a week of visits for
        each practitioner, this week and the next: today's partly checked in, and one
        not checked in."""
        clinic = Clinic.current()
        for field, value in DEMO_CLINIC.items():
            setattr(clinic, field, value)
        clinic.save()
        # Open at weekends too, mornings only, so the demo's "today" is never empty.
        for weekday in (Weekday.SATURDAY, Weekday.SUNDAY):
            OpeningHours.objects.filter(weekday=weekday).delete()
            OpeningHours.objects.create(
                weekday=weekday, starts=datetime.time(9, 0), ends=datetime.time(13, 0)
            )
        rivera = users["acupuncturist2"]
        PractitionerHours.objects.filter(practitioner=rivera).delete()
        weekend = (Weekday.SATURDAY, Weekday.SUNDAY)
        for weekday in (Weekday.TUESDAY, Weekday.THURSDAY, *weekend):
            PractitionerHours.objects.create(
                practitioner=rivera,
                weekday=weekday,
                starts=datetime.time(9, 0),
                ends=datetime.time(13 if weekday in weekend else 17, 0),
            )
        holiday = timezone.localdate() + datetime.timedelta(days=24)
        Closure.objects.update_or_create(
            reason="Staff training day", defaults={"first_day": holiday, "last_day": None}
        )
        now = timezone.now()
        for name, channel in DEMO_REMINDERS.items():
            Patient.objects.filter(code=_patient_code(name)).update(
                reminder_channel=channel, reminder_consent_at=now
            )
        # The patients with visits in DEMO_APPOINTMENTS keep to those.
        busy = {name for name, *_ in DEMO_APPOINTMENTS}
        patients = [
            patient
            for patient in Patient.objects.filter(status=Patient.Status.ACTIVE).order_by(
                "last_name", "first_name"
            )
            if patient.full_name not in busy
        ]
        today = timezone.localdate()
        monday = today - datetime.timedelta(days=today.weekday())
        turn = 0
        for username, slots in DEMO_DAY_SLOTS.items():
            practitioner = users[username]
            for offset in range(14):  # this week and the next
                day = monday + datetime.timedelta(days=offset)
                if not _works(practitioner, day):
                    continue
                for number, (hour, minute) in enumerate(slots):
                    code = uuid.uuid5(_NAMESPACE, f"week {username} {offset} {number}")
                    weekend = day.weekday() in (Weekday.SATURDAY, Weekday.SUNDAY)
                    if day == today or (weekend and hour >= 12):
                        # Today's visits are placed around the time of day (below).
                        Appointment.objects.filter(code=code).delete()
                        continue
                    starts = timezone.make_aware(
                        datetime.datetime.combine(day, datetime.time(hour, minute))
                    )
                    patient = patients[turn % len(patients)]
                    turn += 1
                    status, arrived_at = _demo_status(starts, now, number)
                    Appointment.objects.update_or_create(
                        code=code,
                        defaults={
                            "patient": patient,
                            "practitioner": practitioner,
                            "starts_at": starts,
                            "length_minutes": 45,
                            "status": status,
                            "arrived_at": arrived_at,
                            "status_changed_at": arrived_at,
                            "status_changed_by": users["frontdesk"] if arrived_at else None,
                            "created_by": users["frontdesk"],
                        },
                    )
        # One booking made as the front desk makes them, so the patient's confirmation
        # is queued in the outbox (/messages/; the worker of `make run` sends it).
        maggie = Patient.objects.get(code=_patient_code("Margaret Holloway"))
        if not Message.objects.filter(patient=maggie, kind=Message.Kind.CONFIRMATION).exists():
            day = today + datetime.timedelta(days=3)
            starts = next_free_slot(users["acupuncturist"], day, 45, patient=maggie)
            if starts is not None:
                appointment_book(
                    patient=maggie,
                    practitioner=users["acupuncturist"],
                    starts_at=starts,
                    length_minutes=45,
                    user=users["frontdesk"],
                )
        # Today's visits are placed around the time of day seed_demo runs, so the
        # demo's day is under way whenever it is loaded: one visit done, one patient
        # in the treatment room, one who never came in, and two still to come.
        start = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
        for n, username in enumerate(DEMO_DAY_SLOTS):
            for number, (hours, status) in enumerate(DEMO_TODAY):
                starts = start + datetime.timedelta(hours=hours, minutes=15 * n)
                patient = patients[turn % len(patients)]
                turn += 1
                arrived = starts - datetime.timedelta(minutes=5) if status != "booked" else None
                Appointment.objects.update_or_create(
                    code=uuid.uuid5(_NAMESPACE, f"today {username} {number}"),
                    defaults={
                        "patient": patient,
                        "practitioner": users[username],
                        "starts_at": starts,
                        "length_minutes": 45,
                        "status": status,
                        "arrived_at": arrived,
                        "status_changed_at": arrived,
                        "status_changed_by": users["frontdesk"] if arrived else None,
                        "created_by": users["frontdesk"],
                    },
                )

    def _seed_patients(self, *, created_by: User) -> None:
        for data in DEMO_PATIENTS:
            data = dict(data)
            code = _patient_code(f"{data['first_name']} {data['last_name']}")
            archived = data.pop("status", "active") == "archived"
            reason = data.pop("archive_reason", "")
            defaults = {
                "preferred_name": "",
                "email": "",
                "address": "",
                "emergency_contact_name": "",
                "emergency_contact_relationship": "",
                "emergency_contact_phone": "",
                **data,
                "status": Patient.Status.ARCHIVED if archived else Patient.Status.ACTIVE,
                "archived_at": timezone.now() if archived else None,
                "archived_by": created_by if archived else None,
                "archive_reason": reason,
                "updated_by": created_by,
            }
            Patient.objects.update_or_create(
                code=code, defaults=defaults, create_defaults={**defaults, "created_by": created_by}
            )

    def _seed_intakes(self, users: dict[str, User]) -> None:
        now = timezone.now()
        patients = {
            p.code: p
            for p in Patient.objects.filter(code__in=[_patient_code(n) for n in DEMO_INTAKES])
        }
        for name, spec in DEMO_INTAKES.items():
            spec = dict(spec)
            status = spec.pop("status")
            regions = spec.pop("regions", {})
            medications = spec.pop("medications", [])
            days_ago = spec.pop("days_ago", 1)
            patient = (
                patients.get(_patient_code(name))
                if not spec.pop("self_registered", False)
                else None
            )
            if status == "sent":
                self._seed_link(patient, token=DEMO_INTAKE_TOKEN, created_by=users["frontdesk"])
                continue
            submitted_at = now - datetime.timedelta(days=days_ago)
            values = {
                "patient": patient,
                "status": "submitted" if status in ("submitted", "pending") else status,
                "created_at": submitted_at - datetime.timedelta(hours=1),
                **(
                    {f: getattr(patient, f) for f in IDENTITY_FIELDS + CONTACT_FIELDS}
                    if patient
                    else {}
                ),
                **spec,
            }
            if status == "draft":
                values["completed_steps"] = [1, 2]
            else:
                values.update(
                    completed_steps=[1, 2, 3, 4, 5],
                    consent_to_treatment=True,
                    privacy_acknowledged=True,
                    signature_name=f"{values['first_name']} {values['last_name']}",
                    consented_at=submitted_at,
                    consent_ip="192.0.2.10",
                    submitted_at=submitted_at,
                    **{field: spec.get(field, "no") for field in _SCREENING},
                )
            if status == "reviewed":
                values.update(
                    reviewed_by=users["acupuncturist"],
                    reviewed_at=submitted_at + datetime.timedelta(hours=20),
                )
            intake, _ = Intake.objects.update_or_create(
                code=uuid.uuid5(_NAMESPACE, f"intake {name}"), defaults=values
            )
            intake.regions.all().delete()
            IntakePainRegion.objects.bulk_create(
                IntakePainRegion(intake=intake, region=r, side=side, score=score)
                for r, (side, score) in (
                    (r, answer if isinstance(answer, tuple) else ("both", answer))
                    for r, answer in regions.items()
                )
            )
            intake.medications.all().delete()
            IntakeMedication.objects.bulk_create(
                IntakeMedication(intake=intake, name=n, dose=d, frequency=f, for_pain=p)
                for n, d, f, p in medications
            )

    @staticmethod
    def _seed_protocols(*, created_by: User) -> None:
        for name, points, description in DEMO_PROTOCOLS:
            Protocol.objects.update_or_create(
                name=name,
                defaults={
                    "points": point_codes.format_points(point_codes.parse_points(points).points),
                    "description": description,
                    "is_active": True,
                    "updated_by": created_by,
                },
                create_defaults={
                    "points": point_codes.format_points(point_codes.parse_points(points).points),
                    "description": description,
                    "created_by": created_by,
                    "updated_by": created_by,
                },
            )

    @staticmethod
    def _seed_sessions(users: dict[str, User]) -> None:
        """Each demo history, one visit at a time; the same rows on every run."""
        today = timezone.localdate()
        points_by_code = {point.code: point for point in Point.objects.all()}
        for name, visits in DEMO_SESSIONS.items():
            patient = Patient.objects.get(code=_patient_code(name))
            practitioner = users[DEMO_PRACTITIONER_OF.get(name, "acupuncturist")]
            for number, visit in enumerate(visits, start=1):
                visit = dict(visit)
                days_ago = visit.pop("days_ago")
                points = point_codes.parse_points(visit.pop("points")).points
                events = visit.pop("adverse_events", [])
                signed = visit.pop("signed", True)
                date = today - datetime.timedelta(days=days_ago)
                started = timezone.make_aware(datetime.datetime.combine(date, datetime.time(10, 0)))
                values = {
                    "patient": patient,
                    "date": date,
                    "created_by": practitioner,
                    "created_at": started,
                    "status": "signed" if signed else "draft",
                    "signed_at": started + datetime.timedelta(hours=1) if signed else None,
                    "signed_by": practitioner if signed else None,
                    "needles_inserted": len(points) * 2,
                    "needles_removed": len(points) * 2,
                    "retention_minutes": 25,
                    "position": "prone",
                    "modalities": ["manual_needling"],
                    "regions_treated": _regions(DEMO_REGIONS_TREATED.get(name, "")),
                    **visit,
                }
                session, _ = TreatmentSession.objects.update_or_create(
                    code=uuid.uuid5(_NAMESPACE, f"session {name} {number}"), defaults=values
                )
                session.needled_points.all().delete()
                SessionPoint.objects.bulk_create(
                    SessionPoint(
                        session=session,
                        point=points_by_code[point.code],
                        side=point.side,
                        level=point.level,
                        order=order,
                    )
                    for order, point in enumerate(points, start=1)
                )
                session.adverse_events.all().delete()
                AdverseEvent.objects.bulk_create(
                    AdverseEvent(session=session, **event) for event in events
                )

    @staticmethod
    def _seed_plans(users: dict[str, User]) -> None:
        """Plans through the plan service, so their cadence is the policy's replay."""
        contacts = {}
        for data in DEMO_REFERRALS:
            contact, _ = ReferralContact.objects.update_or_create(name=data["name"], defaults=data)
            contacts[contact.name] = contact
        protocols = {p.name: p for p in Protocol.objects.all()}
        for name, spec in DEMO_PLANS.items():
            patient = Patient.objects.get(code=_patient_code(name))
            practitioner = users[DEMO_PRACTITIONER_OF.get(name, "acupuncturist")]
            code = uuid.uuid5(_NAMESPACE, f"plan {name}")
            data = {
                "practitioner": practitioner,
                "target_pain": spec.get("target_pain"),
                "months_with_pain": None,
                "functional_goals": "",
                "pain_pattern": "",
                "advice": spec.get("advice", []),
                "advice_notes": spec.get("advice_notes", ""),
                "referral_notes": spec.get("referral_notes", ""),
                "review_date": timezone.localdate() + datetime.timedelta(weeks=4),
                "protocols": [protocols[p] for p in spec.get("protocols", [])],
                "referrals": [contacts[r] for r in spec.get("referrals", [])],
            }
            intake = patient.intakes.submitted().order_by("-submitted_at").first()
            if intake is not None:
                data["months_with_pain"] = intake.months_with_pain
                data["functional_goals"] = intake.goals
                data["pain_pattern"] = ", ".join(intake.pain_type_labels)
            plan = Plan.objects.filter(code=code).first()
            if plan is None:
                plan = plan_services.plan_create(patient=patient, data=data, user=practitioner)
                Plan.objects.filter(pk=plan.pk).update(code=code)
            else:
                # Session dates move with today; replaying keeps the plan in step.
                plan_services.plan_replay(plan=plan, user=practitioner)
        for number, (name, days, hour, minute, status) in enumerate(DEMO_APPOINTMENTS):
            day = timezone.localdate() + datetime.timedelta(days=days)
            starts = timezone.make_aware(
                datetime.datetime.combine(day, datetime.time(hour, minute))
            )
            Appointment.objects.update_or_create(
                code=uuid.uuid5(_NAMESPACE, f"appointment {number}"),
                defaults={
                    "patient": Patient.objects.get(code=_patient_code(name)),
                    "practitioner": users["acupuncturist"],
                    "starts_at": starts,
                    "length_minutes": 45,
                    "status": status,
                    "status_changed_at": None if status == "booked" else starts,
                    "status_changed_by": None if status == "booked" else users["frontdesk"],
                    "created_by": users["frontdesk"],
                },
            )

    @staticmethod
    def _seed_link(patient: Patient, *, token: str, created_by: User) -> None:
        """A link with a known token, so the demo's patient form can be tried."""
        now = timezone.now()
        hashed = token_hash(token)
        patient.intake_invitations.filter(revoked_at__isnull=True).exclude(
            token_hash=hashed
        ).update(revoked_at=now, revoked_by=created_by)
        IntakeInvitation.objects.update_or_create(
            token_hash=hashed,
            defaults={
                "patient": patient,
                "revoked_at": None,
                "revoked_by": None,
                "expires_at": now + IntakeInvitation.VALID_FOR,
            },
            create_defaults={
                "patient": patient,
                "created_by": created_by,
                "expires_at": now + IntakeInvitation.VALID_FOR,
            },
        )


def _works(practitioner: User, day: datetime.date) -> bool:
    """Whether the clinic is open and the practitioner works that day (demo hours)."""
    if not OpeningHours.objects.filter(weekday=day.weekday()).exists():
        return False
    own = PractitionerHours.objects.filter(practitioner=practitioner)
    return not own.exists() or own.filter(weekday=day.weekday()).exists()


def _demo_status(starts: datetime.datetime, now: datetime.datetime, number: int):
    """(status, arrived at) of a demo visit on another day than today."""
    if starts < now:
        return ("no_show", None) if number == 3 else ("attended", starts)
    return "booked", None


def _patient_code(name: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, name)


_SCREENING = [field for field, _label, _question in SCREENING_QUESTIONS]

# Demo data only: the patient-form link printed by seed_demo (Aisha Bello's).
DEMO_INTAKE_TOKEN = "demo-intake-link-aisha-bello-5f2c9a7e1b3d4c6f"  # nosec B105

# Intakes in every status, keyed by the patient's name (or the name a new patient typed).
DEMO_INTAKES = {
    "Margaret Holloway": dict(
        status="reviewed",
        days_ago=45,
        pain_types=["neck_pain", "tension_type_headache"],
        pain_now=7,
        pain_worst=8,
        months_with_pain=18,
        onset="gradual",
        cause="repetitive_strain",
        triggers=["stress", "prolonged_sitting", "screen_time"],
        headache_days=12,
        regions={"neck": 7, "shoulders": ("right", 6), "head": 5},
        psfs_activity_1="Turning my head to reverse the car",
        psfs_score_1=3,
        psfs_activity_2="Reading for more than half an hour",
        psfs_score_2=4,
        anticoagulants="yes",
        medications=[
            ("Warfarin", "5 mg", "once a day", False),
            ("Paracetamol", "1 g", "when needed, about 3 times a week", True),
        ],
        previous_acupuncture="no",
        goals="Drive without turning my whole body. Fewer headaches.",
    ),
    "David Nguyen": dict(
        status="submitted",
        days_ago=2,
        pain_types=["lower_back_pain", "sciatica"],
        pain_now=6,
        pain_worst=9,
        months_with_pain=7,
        onset="sudden",
        cause="lifting_injury",
        triggers=["lifting_or_bending", "prolonged_sitting"],
        regions={"lower_back": 6, "legs": ("left", 5), "hips": ("left", None)},
        psfs_activity_1="Sitting through a work meeting",
        psfs_score_1=4,
        psfs_activity_2="Picking up my daughter",
        psfs_score_2=2,
        psfs_activity_3="Jogging",
        psfs_score_3=0,
        metal_implant="not_sure",
        medications=[("Ibuprofen", "400 mg", "twice a day", True)],
        previous_acupuncture="yes",
        previous_acupuncture_notes="Helped my shoulder a few years ago.",
        goals="Get back to running.",
    ),
    "Priya Raman": dict(
        status="submitted",
        days_ago=1,
        pain_types=["migraine"],
        pain_now=3,
        pain_worst=9,
        months_with_pain=60,
        onset="gradual",
        cause="unknown",
        triggers=["bright_light", "poor_sleep", "menstrual_cycle", "screen_time"],
        headache_days=10,
        regions={"head": 8},
        psfs_activity_1="Working a full day at the screen",
        psfs_score_1=5,
        pregnant="yes",
        pregnancy_weeks=14,
        medications=[("Sumatriptan", "50 mg", "at the start of a migraine", True)],
        goals="Fewer migraines without more medication during pregnancy.",
    ),
    "Robert Kowalski": dict(
        status="draft",
        pain_types=["lower_back_pain"],
        pain_now=5,
        pain_worst=7,
        months_with_pain=120,
        regions={"lower_back": 5},
    ),
    "Aisha Bello": dict(status="sent"),
    "Chris Parker": dict(
        status="pending",
        self_registered=True,
        days_ago=0,
        first_name="Chris",
        last_name="Parker",
        date_of_birth=datetime.date(1990, 2, 14),
        sex="male",
        phone="+14155550190",
        email="chris.parker@example.com",
        pain_types=["neck_pain", "upper_back_pain"],
        pain_now=5,
        pain_worst=7,
        months_with_pain=3,
        regions={"neck": 5, "upper_back": 4},
        goals="Sleep without waking from neck pain.",
    ),
    "Keiko Tanaka (self-registered)": dict(
        status="pending",
        self_registered=True,
        days_ago=3,
        first_name="Keiko",
        last_name="Tanaka",
        date_of_birth=datetime.date(1983, 10, 3),
        sex="female",
        phone="+14155550120",
        pain_types=["tension_type_headache"],
        pain_now=4,
        pain_worst=6,
        months_with_pain=24,
        headache_days=8,
    ),
    "Grace Okoro": dict(
        status="reviewed",
        days_ago=60,
        pain_types=["migraine"],
        pain_now=6,
        pain_worst=9,
        months_with_pain=36,
        headache_days=14,
        regions={"head": 6},
        goals="Fewer days off work with migraine.",
    ),
    "Daniel Weiss": dict(
        status="reviewed",
        days_ago=50,
        pain_types=["lower_back_pain"],
        pain_now=8,
        pain_worst=9,
        months_with_pain=4,
        regions={"lower_back": 8},
        goals="Garden again without paying for it the next day.",
    ),
    "Sofia Rossi": dict(
        status="reviewed",
        days_ago=40,
        pain_types=["migraine", "neck_pain"],
        pain_now=7,
        pain_worst=8,
        months_with_pain=12,
        headache_days=9,
        regions={"head": 7, "neck": 5},
        goals="Get through the week without painkillers.",
    ),
}

DEMO_PROTOCOLS = [
    (
        "Neck tension headache",
        "GB20, GB21, BL10, SI3, TE5, GV14",
        "Cervical myofascial pain with tension-type headache.",
    ),
    (
        "Low back pain",
        "BL23, BL25, BL40, GV4, BL60, KI3",
        "Non-specific low back pain, acute or chronic.",
    ),
    (
        "Migraine prevention",
        "GB20, GB8, TE5, LR3, LI4, GV20, GB41, PC6",
        "Interval treatment between attacks.",
    ),
    (
        "Sciatica",
        "GB30, BL36, BL40, GB34, BL57, BL60, BL25",
        "Pain radiating down the back or side of the leg.",
    ),
    (
        "Acute low back pain",
        "Yaotongdian, Jiaji L3-L5, Yaoyan, Shiqizhui, BL40",
        "Yaotongdian on the hand first while the patient moves the back, then the low back.",
    ),
]

_NECK = "GB20, GB21, BL10, SI3, TE5, GV14"
_BACK = "BL23, BL25, BL40, GV4, BL60 R, KI3"

# Treatment histories, oldest visit first, keyed by the patient's name.
DEMO_SESSIONS = {
    "Margaret Holloway": [
        dict(
            days_ago=42,
            pain_before=7,
            pain_after=4,
            points=_NECK,
            headache_days=12,
            pain_medication_doses=4,
            subjective="Neck stiff for 18 months, worse after long days at the screen. "
            "Headaches most afternoons.",
            objective="Tender upper trapezius and suboccipitals bilaterally, trigger point R GB21.",
            range_of_motion="Cervical rotation L 60°, R 45° with pain at end range.",
            assessment="Chronic mechanical neck pain with tension-type headache. On warfarin: "
            "fine needles, shallow insertion.",
            plan_notes="Weekly for 4 weeks, then review. Desk set-up advice given.",
            position="seated",
        ),
        dict(
            days_ago=35,
            pain_before=6,
            pain_after=3,
            points=_NECK,
            headache_days=10,
            pain_medication_doses=3,
            subjective="Two days of easier movement after the first session.",
            objective="Less guarding in the upper trapezius.",
            range_of_motion="Rotation L 65°, R 50°.",
            assessment="Responding.",
            plan_notes="Continue weekly.",
            position="seated",
            adverse_events=[
                dict(
                    kind="bruising",
                    severity="mild",
                    causality="probable",
                    action_taken="Pressure for two minutes; reassured.",
                    notes="Small bruise at R GB21, expected on warfarin.",
                )
            ],
        ),
        dict(
            days_ago=28,
            pain_before=5,
            pain_after=3,
            points=_NECK,
            headache_days=9,
            pain_medication_doses=2,
            subjective="Headaches shorter. Bruise from last week gone.",
            range_of_motion="Rotation L 70°, R 55°.",
            assessment="Improving.",
            plan_notes="Continue weekly.",
            position="seated",
        ),
        dict(
            days_ago=21,
            pain_before=5,
            pain_after=2,
            points=_NECK,
            headache_days=7,
            pain_medication_doses=2,
            subjective="Reversed the car without turning her whole body.",
            range_of_motion="Rotation L 75°, R 65°.",
            assessment="Clinically important improvement from baseline 7.",
            plan_notes="Move to every two weeks.",
            position="seated",
        ),
        dict(
            days_ago=7,
            pain_before=4,
            pain_after=2,
            points=_NECK,
            headache_days=5,
            pain_medication_doses=1,
            subjective="One headache this week. Sleeping better.",
            range_of_motion="Rotation L 80°, R 70°.",
            assessment="Continuing to improve.",
            plan_notes="Fortnightly.",
            position="seated",
        ),
    ],
    "Tomás García": [
        dict(
            days_ago=30,
            pain_before=8,
            pain_after=5,
            points=_BACK,
            modalities=["manual_needling", "electroacupuncture"],
            ea_frequency_hz=2,
            ea_intensity="moderate",
            pain_medication_doses=14,
            subjective="Low back pain since lifting a pallet at work 5 months ago.",
            objective="Paraspinal spasm L3-L5, SLR negative.",
            range_of_motion="Lumbar flexion fingertips to knees, painful.",
            assessment="Subacute mechanical low back pain, no red flags.",
            plan_notes="Weekly with electroacupuncture 2 Hz.",
        ),
        dict(
            days_ago=23,
            pain_before=7,
            pain_after=4,
            points=_BACK,
            modalities=["manual_needling", "electroacupuncture", "heat_lamp"],
            ea_frequency_hz=2,
            ea_intensity="moderate",
            pain_medication_doses=10,
            subjective="Slept through the night twice.",
            range_of_motion="Flexion to mid-shin.",
            assessment="Responding.",
            plan_notes="Continue weekly.",
        ),
        dict(
            days_ago=16,
            pain_before=7,
            pain_after=4,
            points=_BACK,
            modalities=["manual_needling", "electroacupuncture", "heat_lamp"],
            ea_frequency_hz=2,
            ea_intensity="moderate",
            needles_inserted=12,
            needles_removed=11,
            needle_count_explanation="One needle found on the treatment table after removal, "
            "counted and put in the sharps container. None retained in the patient.",
            pain_medication_doses=8,
            subjective="Flared after a long drive.",
            assessment="Temporary flare.",
            plan_notes="Continue weekly.",
        ),
        dict(
            days_ago=9,
            pain_before=6,
            pain_after=3,
            points=_BACK,
            modalities=["manual_needling", "electroacupuncture"],
            ea_frequency_hz=2,
            ea_intensity="moderate",
            pain_medication_doses=6,
            subjective="Back at work full days.",
            range_of_motion="Flexion to ankles.",
            assessment="Improving.",
            plan_notes="Continue weekly.",
        ),
        dict(
            days_ago=2,
            pain_before=5,
            pain_after=3,
            points=_BACK,
            modalities=["manual_needling", "cupping"],
            pain_medication_doses=4,
            subjective="Only stiff in the mornings.",
            assessment="Improving; 3 points below baseline.",
            plan_notes="Weekly once more, then review.",
        ),
    ],
    "Hannah Schmidt": [
        dict(
            days_ago=20,
            pain_before=6,
            pain_after=4,
            points="GB20, GB8, TE5, LR3, GV20, PC6",
            pain_medication_doses=5,
            subjective="Migraine with aura about twice a month, tension headaches between.",
            assessment="Episodic migraine.",
            plan_notes="Weekly for 6 weeks.",
            position="supine",
        ),
        dict(
            days_ago=13,
            pain_before=5,
            pain_after=3,
            points="GB20, GB8, TE5, LR3, GV20, PC6",
            pain_medication_doses=3,
            subjective="One migraine since last visit, shorter than usual.",
            assessment="Responding.",
            plan_notes="Continue weekly.",
            position="supine",
            adverse_events=[
                dict(
                    kind="dizziness",
                    severity="mild",
                    causality="possible",
                    action_taken="Needles out, lay flat, water; fine after ten minutes.",
                    notes="Had skipped lunch.",
                )
            ],
        ),
        dict(
            days_ago=3,
            pain_before=5,
            pain_after=None,
            points="GB20, GB8, TE5, LR3, GV20, PC6",
            needles_removed=None,
            subjective="Busy week at university, two headaches.",
            position="supine",
            signed=False,
        ),
    ],
    "James O'Brien": [
        dict(
            days_ago=10,
            pain_before=6,
            pain_after=4,
            points="GB20, GB21, SI3, SI14, SI15, BL11",
            modalities=["manual_needling", "cupping"],
            subjective="Stiff neck after a cycling holiday.",
            range_of_motion="Rotation L 70°, R 60°.",
            assessment="Acute-on-chronic neck strain.",
            plan_notes="Weekly.",
        ),
    ],
}


# The regions each demo history treats, at every visit ("region" or "region:side").
DEMO_REGIONS_TREATED = {
    "Margaret Holloway": "neck shoulders:right head",
    "Tomás García": "lower_back hips",
    "Hannah Schmidt": "head neck",
    "James O'Brien": "neck shoulders upper_back",
    "Alex Morgan": "lower_back",
    "Samuel Adeyemi": "neck shoulders:left",
    "Daniel Weiss": "lower_back legs:right",
}


def _regions(text: str) -> list[dict]:
    """Regions typed as "neck shoulders:right", as a session stores its regions treated."""
    marks = []
    for word in text.split():
        region, _, side = word.partition(":")
        marks.append(body_map.MarkedRegion(region, side=side or "both"))
    return body_map.stored(marks)


def _visits(points: str, scores_and_days: list[tuple[int, int]], **common) -> list[dict]:
    """A plain run of signed visits: (pain before, days ago) each, pain after 2 lower."""
    return [
        dict(
            days_ago=days_ago,
            pain_before=score,
            pain_after=max(score - 2, 0),
            points=points,
            subjective=f"Pain on arrival {score}/10.",
            pain_medication_doses=score,
            **common,
        )
        for score, days_ago in scores_and_days
    ]


# Longer histories that put the demo plans on every rung of the cadence.
DEMO_SESSIONS.update(
    {
        # Tapered all the way to maintenance; the last two visits almost pain-free.
        "Alex Morgan": _visits(
            _BACK,
            [(7, 217), (6, 210), (5, 203), (5, 196), (4, 182), (4, 168), (2, 140), (2, 112)]
            + [(1, 57), (1, 1)],
        ),
        # Tapered to monthly, then missed the next visit: overdue.
        "Keiko Tanaka": _visits(
            "GB20, GB21, LI4, LR3, GV20",
            [(6, 110), (5, 103), (4, 96), (4, 89), (3, 75), (3, 61)],
            position="seated",
        ),
        # Fortnightly, with the next visit booked.
        "Samuel Adeyemi": _visits(_NECK, [(7, 45), (5, 38), (4, 31), (4, 24), (4, 10)]),
        # Six sessions and never 2 points better: flagged as not responding.
        "Grace Okoro": _visits(
            "GB20, GB8, TE5, LR3, GV20, PC6",
            [(6, 56), (5, 49), (6, 42), (5, 35), (5, 21), (6, 7)],
            position="supine",
        ),
        # A substantial improvement.
        "Daniel Weiss": _visits(_BACK, [(8, 45), (6, 38), (5, 31), (4, 24), (3, 10)]),
        # A clinically important improvement at the fourth visit, then missed the next.
        "Sofia Rossi": _visits(
            "GB20, GB21, LR3, LI4, GV20", [(7, 35), (6, 28), (5, 21), (4, 14)], position="supine"
        ),
    }
)
DEMO_SESSIONS["Grace Okoro"][1]["adverse_events"] = [
    dict(
        kind="nausea",
        severity="moderate",
        causality="possible",
        action_taken="Needles out, lay on her side, water; went home after 20 minutes.",
    )
]
DEMO_SESSIONS["Daniel Weiss"][0]["adverse_events"] = [
    dict(
        kind="needling_pain",
        severity="mild",
        causality="certain",
        action_taken="Needle at BL40 withdrawn and placed again.",
    )
]
DEMO_SESSIONS["Sofia Rossi"][2]["adverse_events"] = [
    dict(
        kind="bruising",
        severity="mild",
        causality="probable",
        action_taken="Pressure for a minute.",
        notes="Small bruise at LI4.",
    )
]

# Whose patients these are (the rest are Lin Zhou's): their sessions and plans.
DEMO_PRACTITIONER_OF = {"Grace Okoro": "acupuncturist2", "Daniel Weiss": "acupuncturist2"}

DEMO_REFERRALS = [
    dict(
        name="Dr. Ana Ruiz",
        profession="physician",
        organisation="Sunset Family Practice",
        phone="+1 415 555 0170",
    ),
    dict(
        name="Ben Carter",
        profession="physiotherapist",
        organisation="Bay Physio",
        phone="+1 415 555 0171",
    ),
    dict(
        name="Dr. Mia Lopez",
        profession="chiropractor",
        organisation="Inner Sunset Chiropractic",
        phone="+1 415 555 0172",
    ),
    dict(
        name="Jo Kim",
        profession="massage_therapist",
        organisation="Golden Gate Massage",
        phone="+1 415 555 0173",
    ),
]

# Plans, keyed by the patient's name. The cadence comes from replaying the sessions.
DEMO_PLANS = {
    "Margaret Holloway": dict(
        target_pain=3,
        protocols=["Neck tension headache"],
        advice=["posture", "stress", "headache_diary"],
        advice_notes="Screen at eye level; a break every 45 minutes; chin tucks twice a day.",
        referrals=["Ben Carter"],
        referral_notes="Physiotherapy for neck strengthening once pain is below 4.",
    ),
    "Tomás García": dict(
        target_pain=2,
        protocols=["Low back pain"],
        advice=["exercise", "heat"],
        advice_notes="Walk 20 minutes daily; lift with bent knees at work.",
    ),
    "Hannah Schmidt": dict(
        target_pain=2,
        protocols=["Migraine prevention"],
        advice=["sleep", "headache_diary"],
    ),
    "Keiko Tanaka": dict(target_pain=2, advice=["stress", "sleep"]),
    "Samuel Adeyemi": dict(
        target_pain=2,
        protocols=["Neck tension headache"],
        advice=["posture"],
        referrals=["Dr. Ana Ruiz"],
        referral_notes="Ask the GP about the numbness in the left hand if it returns.",
    ),
    "Alex Morgan": dict(target_pain=1, protocols=["Low back pain"], advice=["exercise"]),
    # Planned after the intake, before any session: the first visit is due now.
    "David Nguyen": dict(target_pain=2, protocols=["Sciatica"], advice=["exercise"]),
    "Grace Okoro": dict(target_pain=3, protocols=["Migraine prevention"], advice=["sleep"]),
    "Daniel Weiss": dict(target_pain=2, protocols=["Low back pain"], advice=["exercise"]),
    "Sofia Rossi": dict(target_pain=3, advice=["headache_diary", "posture"]),
}

# Pain medicine doses in the 7 days before the intake.
DEMO_INTAKE_DOSES = {
    "Margaret Holloway": 6,
    "David Nguyen": 10,
    "Priya Raman": 2,
    "Tomás García": 8,
    "Grace Okoro": 4,
    "Daniel Weiss": 12,
    "Sofia Rossi": 6,
}

# Check-ins between visits: answers, days ago. The last one of Samuel Adeyemi's is
# still waiting for him.
DEMO_CHECK_INS = {
    "Margaret Holloway": [
        dict(
            days_ago=31,
            pain_now=6,
            pain_worst=8,
            psfs_score_1=4,
            psfs_score_2=5,
            pain_medication_doses=4,
            headache_days=11,
            pgic=3,
        ),
        dict(
            days_ago=14,
            pain_now=4,
            pain_worst=6,
            psfs_score_1=6,
            psfs_score_2=7,
            pain_medication_doses=2,
            headache_days=7,
            pgic=2,
        ),
        dict(
            days_ago=2,
            pain_now=3,
            pain_worst=5,
            psfs_score_1=7,
            psfs_score_2=8,
            pain_medication_doses=1,
            headache_days=4,
            pgic=2,
        ),
    ],
    "Samuel Adeyemi": [
        dict(days_ago=20, pain_now=5, pain_worst=7, pain_medication_doses=3, pgic=3),
        dict(days_ago=1, waiting=True),
    ],
}

# The demo clinic, in San Francisco (make run sets DJANGO_TIME_ZONE to its zone).
DEMO_CLINIC = {
    "name": "Mission Street Acupuncture",
    "phone": "(415) 555-0100",
    "address": "1200 Mission Street, San Francisco, CA 94103",
}

# How some demo patients chose to be reminded (the rest: no reminders).
DEMO_REMINDERS = {
    "Margaret Holloway": "email",
    "Samuel Adeyemi": "sms",
    "Priya Raman": "email",
    "David Nguyen": "email",
    "Robert Kowalski": "sms",
}

# This week's visits: start times of each practitioner's day.
DEMO_DAY_SLOTS = {
    "acupuncturist": [(9, 15), (10, 45), (12, 0), (13, 30), (15, 15)],
    "acupuncturist2": [(9, 30), (11, 0), (14, 15)],
}

# Today's visits: (hours from now, status). The visit 3 hours ago is still "booked":
# the front desk's schedule shows it as not checked in.
DEMO_TODAY = [(-3, "booked"), (-2, "attended"), (-0.5, "arrived"), (1, "booked"), (2.5, "booked")]

# Appointments: (patient, days from today, hour, minute, status).
DEMO_APPOINTMENTS = [
    ("Margaret Holloway", -7, 10, 0, "attended"),
    ("Margaret Holloway", 1, 10, 0, "booked"),
    ("Samuel Adeyemi", -10, 9, 0, "attended"),
    ("Samuel Adeyemi", 4, 14, 30, "booked"),
    ("Hannah Schmidt", -6, 16, 0, "no_show"),
    ("Keiko Tanaka", -33, 11, 0, "cancelled"),
]
