"""The page benchmark's database steps, run by bench/pages.py in subprocesses with Django.

    python bench/pages_steps.py migrate
    python bench/pages_steps.py prepare DATA.json

`migrate` refuses a database that has tables, then migrates. After the seed command,
`prepare` gives one user of each role a random password and an authenticator (so the
benchmark logs in as staff do: password, then a code), adds two patients whose plans
have 10 and 200 signed sessions (the plan page's cost must not grow with the history),
and picks what the pages are about: a patient to search for by name, phone and date of
birth, a signed note, a practitioner's week. It writes the passwords and authenticator
keys to DATA.json, in the run's private temporary folder.
"""

import argparse
import datetime
import json
import os
import secrets
import sys
from pathlib import Path

import django
from django_steps import submitted_intake

BENCH_LAST_NAME = "Benchhistory"
# Pain at each visit falls from 7 to 3 and stays there, as a patient who responds.
PAIN_BEFORE = [7, 7, 6, 6, 5, 5, 4, 4, 3]
POINTS = ["GB20", "LI4", "BL23", "ST36", "SP6", "LR3"]


def _user_for(role: str, *, today):
    """A user of this role from the seeded data (the acupuncturist who signed most),
    or a new one; with a new password and authenticator either way."""
    from django.contrib.auth.models import Group
    from django.db.models import Count, Q
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import roles
    from accounts.models import PractitionerProfile, User

    users = User.objects.filter(groups__name=role, is_active=True).order_by("pk")
    if role == roles.ACUPUNCTURIST:
        users = (
            users.filter(practitioner_profile__licence_expiry__gte=today)
            .annotate(
                signed=Count("treatment_sessions", filter=Q(treatment_sessions__status="signed"))
            )
            .order_by("-signed", "pk")
        )
    user = users.first()
    if user is None:
        slug = role.lower().replace(" ", "-")
        user = User.objects.create_user(
            f"bench-{slug}", first_name="Bench", last_name=role, is_staff=role == roles.CLINIC_ADMIN
        )
        user.groups.add(Group.objects.get(name=role))
        if role == roles.ACUPUNCTURIST:
            PractitionerProfile.objects.create(
                user=user,
                licence_number="BENCH-0001",
                licensing_body="Bench Acupuncture Board",
                licence_expiry=today + datetime.timedelta(days=365),
            )
    password = secrets.token_urlsafe(24)
    user.set_password(password)
    user.must_reset_credentials = False
    user.save()
    key = secrets.token_hex(20)
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name="bench", key=key, confirmed=True)
    return user, {"username": user.username, "password": password, "otp_secret_hex": key}


def _patient_with_history(number: int, visits: int, *, practitioner, front_desk, today):
    """A patient with a submitted intake and a plan counting `visits` signed sessions,
    weekly up to last week."""
    from django.utils import timezone

    from intake.models import Patient
    from plans.services import plan_create
    from sessions.models import Point, SessionPoint, TreatmentSession

    now = timezone.now()
    patient = Patient.objects.create(
        first_name=f"History{visits}",
        last_name=BENCH_LAST_NAME,
        date_of_birth=datetime.date(1970 + number, 5, 17),
        sex="female",
        phone=f"+1415555{190 + number:04d}",  # 555-01xx: numbers reserved for fiction
        created_by=front_desk,
        updated_by=front_desk,
    )
    submitted_intake(patient, now)
    sessions = []
    for k in range(visits):
        date = today - datetime.timedelta(weeks=visits - k)
        at = timezone.make_aware(datetime.datetime.combine(date, datetime.time(10, 0)))
        before = PAIN_BEFORE[min(k, len(PAIN_BEFORE) - 1)]
        sessions.append(
            TreatmentSession(
                patient=patient,
                date=date,
                status=TreatmentSession.Status.SIGNED,
                pain_before=before,
                pain_after=max(0, before - 2),
                modalities=["manual_needling"],
                needles_inserted=len(POINTS) * 2,
                needles_removed=len(POINTS) * 2,
                retention_minutes=25,
                position="prone",
                subjective=f"Neck pain {before}/10 this week.",
                objective="Tight upper trapezius both sides.",
                assessment="Responding to treatment.",
                plan_notes="Continue.",
                created_by=practitioner,
                created_at=at,
                signed_at=at + datetime.timedelta(hours=1),
                signed_by=practitioner,
            )
        )
    TreatmentSession.objects.bulk_create(sessions)
    points = list(Point.objects.filter(code__in=POINTS))
    SessionPoint.objects.bulk_create(
        SessionPoint(session=session, point=point, side="bilateral", order=order)
        for session in sessions
        for order, point in enumerate(points, start=1)
    )
    # The plan service counts the signed sessions and replays the cadence over them.
    plan_create(patient=patient, data={"practitioner": practitioner}, user=practitioner)
    return patient, sessions[-1]


def prepare(args) -> None:
    import phonenumbers
    from django.db import connection, transaction
    from django.urls import Resolver404, resolve
    from django.utils import timezone

    from accounts import roles
    from audit.models import AuditEntry
    from intake.models import Patient
    from scheduling.models import Appointment
    from sessions.models import SessionPoint, TreatmentSession

    if connection.vendor != "postgresql":
        sys.exit("bench: DATABASE_URL must point at PostgreSQL (run under scripts/with-postgres).")
    today = timezone.localdate()
    with transaction.atomic():
        users = {}
        accounts = {}
        for key, role in (
            ("front_desk", roles.FRONT_DESK),
            ("acupuncturist", roles.ACUPUNCTURIST),
            ("clinic_admin", roles.CLINIC_ADMIN),
        ):
            users[key], accounts[key] = _user_for(role, today=today)
        # The searched patient: one of the seeded (not one of ours), from the middle.
        seeded = Patient.objects.active().exclude(last_name=BENCH_LAST_NAME).order_by("pk")
        count = seeded.count()
        if not count:
            sys.exit("bench: the seed command made no patients.")
        searched = seeded[count // 2]
        short, long = (
            _patient_with_history(
                number,
                visits,
                practitioner=users["acupuncturist"],
                front_desk=users["front_desk"],
                today=today,
            )
            for number, visits in ((1, 10), (2, 200))
        )
    short_patient, _ = short
    long_patient, last_note = long
    phone = phonenumbers.parse(searched.phone)
    fhir = f"/fhir/Patient/{long_patient.code}/$everything"
    try:
        resolve(fhir)
    except Resolver404:
        fhir = None
    data = {
        "accounts": accounts,
        "paths": {
            "short": str(short_patient.code),
            "long": str(long_patient.code),
            "note": str(last_note.code),
            "name": searched.last_name,
            "phone": phonenumbers.format_number(phone, phonenumbers.PhoneNumberFormat.NATIONAL),
            "date_of_birth": searched.date_of_birth.isoformat(),
            "practitioner": users["acupuncturist"].pk,
            # The day view on a weekday, when every practitioner works (today may be a
            # Sunday, when the clinic is closed): the coming Tuesday, or today.
            "weekday": (today + datetime.timedelta(days=(1 - today.weekday()) % 7)).isoformat(),
            "fhir": fhir,
        },
        "sizes": {
            "patients": Patient.objects.count(),
            "sessions": TreatmentSession.objects.count(),
            "needled points": SessionPoint.objects.count(),
            "appointments": Appointment.objects.count(),
            "audit entries": AuditEntry.objects.count(),
        },
    }
    Path(args.out).write_text(json.dumps(data))
    os.chmod(args.out, 0o600)  # passwords and authenticator keys


def migrate(_args) -> None:
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench: DATABASE_URL must point at PostgreSQL (run under scripts/with-postgres).")
    existing = connection.introspection.table_names()
    if existing:
        # prepare gives users new passwords and authenticators: never a clinic's database.
        sys.exit(
            f"bench: the database already has {len(existing)} tables. Give the benchmark an "
            "empty database (scripts/with-postgres does)."
        )
    call_command("migrate", interactive=False, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate").set_defaults(run=migrate)
    step = commands.add_parser("prepare")
    step.add_argument("out")
    step.set_defaults(run=prepare)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acuclinic.settings")
    django.setup()
    args.run(args)


if __name__ == "__main__":
    main()
