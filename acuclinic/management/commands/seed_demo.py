"""Demo data: the three demo staff users and a dozen varied patients.

Idempotent: running it again updates the same rows instead of adding more.
Refuses to run with DEBUG off, so it can never touch a production database.
"""

import datetime
import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from acuclinic import roles
from acuclinic.models import PractitionerProfile, User
from intake.models import Patient

DEMO_PASSWORD = "acuclinic-demo"

DEMO_USERS = [
    # username, first name, last name, role, is_staff (Django admin access)
    ("frontdesk", "Dana", "Reyes", roles.FRONT_DESK, False),
    ("acupuncturist", "Lin", "Zhou", roles.ACUPUNCTURIST, False),
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
]


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
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(DEMO_USERS)} staff users (password "
                f"'{DEMO_PASSWORD}'), {len(DEMO_PATIENTS)} patients."
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
            users[username] = user
        PractitionerProfile.objects.update_or_create(
            user=users["acupuncturist"],
            defaults={
                "licence_number": "L.Ac. 12345",
                "licensing_body": "California Acupuncture Board",
                "licence_expiry": timezone.localdate() + datetime.timedelta(days=365),
            },
        )
        return users

    def _seed_patients(self, *, created_by: User) -> None:
        for data in DEMO_PATIENTS:
            data = dict(data)
            code = uuid.uuid5(_NAMESPACE, f"{data['first_name']} {data['last_name']}")
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
            }
            Patient.objects.update_or_create(
                code=code, defaults=defaults, create_defaults={**defaults, "created_by": created_by}
            )
