import datetime
import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from intake.phone import format_phone, phone_search_term

_PHONE_LIKE = re.compile(r"^[\d\s().+-]+$")


class PatientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Patient.Status.ACTIVE)

    def archived(self):
        return self.filter(status=Patient.Status.ARCHIVED)

    def search(self, query: str):
        """Match a typed name, date of birth (YYYY-MM-DD), phone number or email."""
        query = " ".join(query.split())
        if not query:
            return self
        try:
            return self.filter(date_of_birth=datetime.date.fromisoformat(query))
        except ValueError:
            pass
        if "@" in query:
            return self.filter(email__icontains=query)
        digits = re.sub(r"\D", "", query)
        if _PHONE_LIKE.match(query) and len(digits) >= 3:
            e164 = phone_search_term(query)
            if e164:
                return self.filter(phone=e164)
            # A partial number: phones are stored as +<digits>, so digits match
            # as a substring once a national trunk 0 is dropped.
            return self.filter(phone__contains=digits.lstrip("0") or digits)
        matches = self
        for word in query.split(" "):
            matches = matches.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(preferred_name__icontains=word)
            )
        return matches

    def possible_duplicates(self, *, first_name: str, last_name: str, date_of_birth):
        """Charts that may be the same person: same names (any case) and date of birth."""
        return self.filter(
            first_name__iexact=first_name.strip(),
            last_name__iexact=last_name.strip(),
            date_of_birth=date_of_birth,
        ).order_by("created_at")


class Patient(models.Model):
    """A person treated at the clinic: demographics only. Clinical data hangs off it."""

    class Sex(models.TextChoices):
        # FHIR administrative gender values, so exports need no mapping.
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown / prefer not to say"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(
        max_length=100, blank=True, help_text="What the patient likes to be called."
    )
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20)  # E.164, see intake.phone
    address = models.TextField(max_length=500, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=100, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    archive_reason = models.CharField(max_length=200, blank=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "date_of_birth"]
        permissions = [
            ("archive_patient", "Can archive and restore a patient"),
            (
                "view_clinical_record",
                "Can see clinical content: intake answers, session notes, plan details",
            ),
        ]
        indexes = [
            # The patient list: active (or archived) patients ordered by name.
            models.Index(
                fields=["status", "last_name", "first_name"], name="intake_patient_status_name"
            ),
            # The duplicate guard and search by date of birth.
            models.Index(fields=["date_of_birth"], name="intake_patient_dob"),
            # Search by a whole phone number (stored in E.164).
            models.Index(fields=["phone"], name="intake_patient_phone"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "archived"]),
                name="intake_patient_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(sex__in=["female", "male", "other", "unknown"]),
                name="intake_patient_sex_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="active", archived_at__isnull=True)
                    | Q(status="archived", archived_at__isnull=False)
                ),
                name="intake_patient_archived_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(date_of_birth__gte=datetime.date(1900, 1, 1)),
                name="intake_patient_date_of_birth_plausible",
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def display_name(self) -> str:
        """Name with the preferred name, as staff address the patient."""
        if self.preferred_name and self.preferred_name != self.first_name:
            return f"{self.first_name} “{self.preferred_name}” {self.last_name}"
        return self.full_name

    @property
    def age(self) -> int:
        today = timezone.localdate()
        dob = self.date_of_birth
        return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))

    @property
    def is_archived(self) -> bool:
        return self.status == self.Status.ARCHIVED

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)

    @property
    def emergency_contact_phone_display(self) -> str:
        return format_phone(self.emergency_contact_phone)
