"""The load test's database steps, run by bench/load.py in a subprocess with Django set up.

    python bench/django_steps.py setup DATA.json --practitioners 10 --patients-per-practitioner 5
        --patient-clients 50 --links-per-client 20 [--two-factor]
    python bench/django_steps.py count RESULT.json

`setup` refuses a database that already has tables (the run writes thousands of
test rows), migrates, collects static files, and creates: licensed acupuncturists
with random passwords, the patients they treat (each with a submitted intake, half
with a treatment plan), and patients with intake links. Link tokens are shown once
(intake.services.invitation_create); they are written to DATA.json, which only this
run reads, in the run's private temporary folder.

`count` reads back what the database holds: submitted intakes and treatment sessions
of the bench's patients and practitioners.
"""

import argparse
import datetime
import json
import os
import secrets
import sys
from pathlib import Path

import django

PRACTITIONER_PREFIX = "bench-acupuncturist-"
FRONT_DESK_USERNAME = "bench-frontdesk"
# Patients' names carry these, so nothing else in the database is counted by mistake.
INTAKE_PATIENT_LAST_NAME = "Benchintake"
SESSION_PATIENT_LAST_NAME = "Benchsession"


def submitted_intake(patient, now):
    """A submitted neck-pain intake with nothing to flag: what the session form's safety
    checks read."""
    from intake.models import SCREENING_QUESTIONS, Intake

    return Intake.objects.create(
        patient=patient,
        first_name=patient.first_name,
        last_name=patient.last_name,
        date_of_birth=patient.date_of_birth,
        sex=patient.sex,
        phone=patient.phone,
        status=Intake.Status.SUBMITTED,
        completed_steps=[1, 2, 3, 4, 5],
        pain_types=["neck_pain"],
        pain_now=7,
        pain_worst=8,
        months_with_pain=6,
        consent_to_treatment=True,
        privacy_acknowledged=True,
        signature_name=f"{patient.first_name} {patient.last_name}",
        consented_at=now,
        submitted_at=now,
        **{field: "no" for field, _label, _question in SCREENING_QUESTIONS},
    )


def _strong_password() -> str:
    return secrets.token_urlsafe(24)


def _phone(n: int) -> str:
    # 555-01xx: numbers reserved for fiction, valid to libphonenumber.
    return f"+1415555{100 + n % 100:04d}"


def setup(args) -> None:
    from django.apps import apps
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    if connection.vendor != "postgresql":
        sys.exit("bench: DATABASE_URL must point at PostgreSQL (run under scripts/with-postgres).")
    existing = connection.introspection.table_names()
    if existing:
        sys.exit(
            f"bench: the database already has {len(existing)} tables. The load test writes "
            "thousands of test rows: give it an empty database (scripts/with-postgres does)."
        )
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)

    from accounts import roles
    from accounts.models import PractitionerProfile, User
    from intake.models import Patient
    from intake.services import invitation_create
    from plans.services import plan_create

    if args.two_factor and not apps.is_installed("django_otp.plugins.otp_totp"):
        sys.exit("bench: --two-factor: django_otp.plugins.otp_totp is not installed.")
    today = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        front_desk = User.objects.create_user(
            FRONT_DESK_USERNAME, password=_strong_password(), first_name="Bench", last_name="Desk"
        )
        front_desk.groups.add(Group.objects.get(name=roles.FRONT_DESK))
        acupuncturist_role = Group.objects.get(name=roles.ACUPUNCTURIST)

        practitioners = []
        patient_number = 0
        for n in range(1, args.practitioners + 1):
            password = _strong_password()
            user = User.objects.create_user(
                f"{PRACTITIONER_PREFIX}{n:02d}",
                password=password,
                first_name="Bench",
                last_name=f"Practitioner {n:02d}",
            )
            user.groups.add(acupuncturist_role)
            PractitionerProfile.objects.create(
                user=user,
                licence_number=f"BENCH-{n:04d}",
                licensing_body="Bench Acupuncture Board",
                licence_expiry=today + datetime.timedelta(days=365),
            )
            otp_secret = None
            if args.two_factor:
                # An authenticator app: the client answers the code page after the password.
                from django_otp.plugins.otp_totp.models import TOTPDevice

                otp_secret = secrets.token_hex(20)
                TOTPDevice.objects.create(user=user, name="bench", key=otp_secret, confirmed=True)
            codes = []
            for k in range(args.patients_per_practitioner):
                patient_number += 1
                patient = Patient.objects.create(
                    first_name=f"Sess{n:02d}x{k:02d}",
                    last_name=SESSION_PATIENT_LAST_NAME,
                    date_of_birth=datetime.date(1960 + patient_number % 40, 1 + k % 12, 15),
                    sex="female" if k % 2 else "male",
                    phone=_phone(patient_number),
                    created_by=front_desk,
                    updated_by=front_desk,
                )
                # The intake the session form's safety checks read: nothing to flag.
                submitted_intake(patient, now)
                if k % 2 == 0:
                    # Half the patients have a plan: signing then replays its cadence.
                    plan_create(patient=patient, data={"practitioner": user}, user=user)
                codes.append(str(patient.code))
            practitioners.append(
                {
                    "username": user.username,
                    "password": password,
                    "otp_secret_hex": otp_secret,
                    "patients": codes,
                }
            )

    links = []
    for c in range(args.patient_clients):
        client_links = []
        for i in range(args.links_per_client):
            patient_number += 1
            with transaction.atomic():
                patient = Patient.objects.create(
                    first_name=f"Intake{c:02d}x{i:03d}",
                    last_name=INTAKE_PATIENT_LAST_NAME,
                    date_of_birth=datetime.date(1950 + patient_number % 50, 1 + i % 12, 1 + c % 28),
                    sex=["female", "male", "other", "unknown"][patient_number % 4],
                    phone=_phone(patient_number),
                    email=f"intake{c}x{i}@example.com",
                    created_by=front_desk,
                    updated_by=front_desk,
                )
                _invitation, token = invitation_create(patient=patient, created_by=front_desk)
            client_links.append(
                {
                    "token": token,
                    "patient": str(patient.code),
                    "name": f"{patient.first_name} {patient.last_name}",
                }
            )
        links.append(client_links)

    data = {
        "practitioners": practitioners,
        "intake_links": links,
        "settings": {
            "secure_ssl_redirect": bool(getattr(settings, "SECURE_SSL_REDIRECT", False)),
        },
    }
    path = Path(args.data)
    path.touch(mode=0o600)
    path.write_text(json.dumps(data))


def count(args) -> None:
    from django.db.models import Count

    from intake.models import Intake
    from sessions.models import TreatmentSession

    intakes = Intake.objects.filter(patient__last_name=INTAKE_PATIENT_LAST_NAME)
    per_patient = {
        str(row["patient__code"]): row["n"]
        for row in intakes.values("patient__code").annotate(n=Count("id"))
    }
    # Each submitted intake with how many medicines and pain regions it holds: the
    # client sends one of each, so anything else is a half-saved step.
    submitted = {
        str(row["patient__code"]): [row["n_medications"], row["n_regions"]]
        for row in intakes.filter(status__in=[Intake.Status.SUBMITTED, Intake.Status.REVIEWED])
        .annotate(
            n_medications=Count("medications", distinct=True),
            n_regions=Count("regions", distinct=True),
        )
        .values("patient__code", "n_medications", "n_regions")
    }
    sessions = [
        {
            "code": str(row["code"]),
            "form_token": str(row["form_token"]) if row["form_token"] else None,
            "status": row["status"],
            "marker": row["subjective"],
            "patient": str(row["patient__code"]),
            "author": row["created_by__username"],
            "signed_by": row["signed_by__username"],
            "points": row["n_points"],
        }
        for row in TreatmentSession.objects.filter(
            created_by__username__startswith=PRACTITIONER_PREFIX
        )
        .annotate(n_points=Count("needled_points"))
        .values(
            "code",
            "form_token",
            "status",
            "subjective",
            "patient__code",
            "created_by__username",
            "signed_by__username",
            "n_points",
        )
    ]
    result = {
        "intakes_per_patient": per_patient,
        "submitted_intakes": submitted,
        "sessions": sessions,
    }
    Path(args.result).write_text(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("setup")
    p.add_argument("data")
    p.add_argument("--practitioners", type=int, required=True)
    p.add_argument("--patients-per-practitioner", type=int, required=True)
    p.add_argument("--patient-clients", type=int, required=True)
    p.add_argument("--links-per-client", type=int, required=True)
    p.add_argument("--two-factor", action="store_true")
    c = sub.add_parser("count")
    c.add_argument("result")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acuclinic.settings")
    django.setup()
    if args.step == "setup":
        setup(args)
    else:
        count(args)


if __name__ == "__main__":
    main()
