import datetime
import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Lower
from django.utils import timezone

from core.ranges import in_range
from intake.body_map import SIDED_REGIONS, MarkedRegion, in_vocabulary_order
from intake.phone import format_phone, phone_search_term
from intake.search import birth_dates, normalise, patient_search_name
from intake.vocabulary import (
    HEADACHE_TYPES,
    Answer,
    BodyRegion,
    Cause,
    Onset,
    PainType,
    RegionSide,
    Trigger,
    labels,
)

_PHONE_LIKE = re.compile(r"^[\d\s().+-]+$")

# The names Patient.search_name is made of.
NAME_FIELDS = frozenset({"first_name", "last_name", "preferred_name"})


class PatientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Patient.Status.ACTIVE)

    def archived(self):
        return self.filter(status=Patient.Status.ARCHIVED)

    def search(self, query: str):
        """Match a typed name, date of birth, phone number or part of an email, the
        closest first (docs/product-rules.md, "Finding patients").

        - A date of birth: ISO (1958-03-14), or in the clinic's order
          (settings.DATE_INPUT_ORDER: 03/14/1958 or 14/03/1958), intake.search.birth_dates.
          A date that cannot exist is searched as text.
        - A phone number, whole (in any format) or its digits in part.
        - With an "@": part of an email.
        - Otherwise names, without accents, case or punctuation (intake.search), every
          typed word somewhere in the first, last or preferred name: "garcia tomas"
          finds "Tomás García"; a single word of three or more characters also finds
          the charts whose email holds it ("lena.f").

        Names come in order of closeness: every word typed a whole name first, then
        every word the start of a name, then words inside names, then emails; each in
        name order. On PostgreSQL trigram indexes serve the substring matches
        (migrations 0008 and 0009).
        """
        query = " ".join(query.split())
        if not query:
            return self
        dates = birth_dates(query, order=settings.DATE_INPUT_ORDER, today=timezone.localdate())
        if dates:
            return self.filter(date_of_birth__in=dates)
        if "@" in query:
            return self._email_contains(query)
        digits = re.sub(r"\D", "", query)
        if _PHONE_LIKE.match(query) and len(digits) >= 3:
            e164 = phone_search_term(query)
            if e164:
                return self.filter(phone=e164)
            # A partial number: phones are stored as +<digits>, so digits match
            # as a substring once a national trunk 0 is dropped.
            return self.filter(phone__contains=digits.lstrip("0") or digits)
        words = normalise(query).split()
        by_email = " " not in query and len(query) >= _EMAIL_PART_MIN
        if not words and not by_email:
            # Only punctuation: nothing a name could match.
            return self.none()
        names = Q(*(Q(search_name__contains=word) for word in words)) if words else Q(pk=None)
        found = self.annotate(
            search_padded=Concat(
                Value(" "), "search_name", Value(" "), output_field=models.TextField()
            ),
            email_lower=Lower("email"),
        )
        if by_email:
            found = found.filter(names | Q(email_lower__contains=query.lower()))
        else:
            found = found.filter(names)
        return found.annotate(
            closeness=models.Case(
                models.When(_every_word(words, " {} "), then=Value(0)),
                models.When(_every_word(words, " {}"), then=Value(1)),
                models.When(names, then=Value(2)),
                default=Value(3),
            )
        ).order_by("closeness", "last_name", "first_name", "date_of_birth", "pk")

    def _email_contains(self, text: str):
        return self.annotate(email_lower=Lower("email")).filter(email_lower__contains=text.lower())


# A single word of this many characters is also looked for in emails; shorter ones
# ("li") would match too many addresses to help.
_EMAIL_PART_MIN = 3


def _every_word(words: list[str], pattern: str) -> Q:
    """Every word, placed in `pattern`, is in the chart's names padded with a space
    either side: " {} " a whole name, " {}" the start of one. Never true without words."""
    if not words:
        return Q(pk=None)
    return Q(*(Q(search_padded__contains=pattern.format(word)) for word in words))


class ReminderChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message (SMS)"
    NONE = "none", "No reminders"


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
    # The names as search compares them (intake.search.patient_search_name): derived,
    # set by save(); writers that skip save() (bulk_create) must fill it themselves.
    search_name = models.TextField(editable=False, default="")
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20)  # E.164, see intake.phone
    address = models.TextField(max_length=500, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=100, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True)

    # How the patient wants appointment reminders and other messages: by email, by
    # text (SMS), or not at all (the default until the patient or the desk says).
    reminder_channel = models.CharField(
        max_length=5, choices=ReminderChannel.choices, default=ReminderChannel.NONE
    )
    # When the choice was made, and by whom (empty: the patient, in their intake).
    reminder_consent_at = models.DateTimeField(null=True, blank=True)
    reminder_consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
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
    # Counts saves of the demographics; an edit form carries it (core.concurrency).
    version = models.PositiveIntegerField(default=1, editable=False)
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
            # Search by part of a name, a phone number or an email (substring
            # matches): trigram indexes on PostgreSQL only, made by migrations 0008
            # (names, phone) and 0009 (the lowered email) outside the model's state,
            # since SQLite has no GIN index.
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

    def save(self, *args, **kwargs):
        # Keeping a derived column in step with the names, not a rule: every save of
        # a chart (services, admin, factories) leaves search_name right.
        self.search_name = patient_search_name(self.first_name, self.last_name, self.preferred_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not NAME_FIELDS.isdisjoint(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

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


# What a person tells about themselves, on the chart and on an intake's first step.
# Identity: who the chart is. Contact: how to reach them (and whom to call).
IDENTITY_FIELDS = ["first_name", "last_name", "date_of_birth", "sex"]
CONTACT_FIELDS = [
    "preferred_name",
    "phone",
    "email",
    "address",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
]


class IntakeQuerySet(models.QuerySet):
    def submitted(self):
        """Intakes whose answers clinicians act on: submitted, reviewed or not."""
        return self.filter(status__in=[Intake.Status.SUBMITTED, Intake.Status.REVIEWED])

    def awaiting_review(self):
        """Submitted intakes of registered patients that no clinician has reviewed yet."""
        return self.filter(status=Intake.Status.SUBMITTED, patient__isnull=False)

    def pending_registrations(self):
        """Self-started intakes, submitted, that the front desk has not matched to a chart."""
        return self.filter(status=Intake.Status.SUBMITTED, patient__isnull=True)


class Intake(models.Model):
    """A patient's answers to the online intake questionnaire (docs/clinical-rules.md sections 1-2).

    A draft while the patient fills it in, step by step; submitted once, then
    read-only. A self-started intake has no patient until the front desk confirms it.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "In progress"
        SUBMITTED = "submitted", "Submitted"
        REVIEWED = "reviewed", "Reviewed"
        DISCARDED = "discarded", "Discarded"

    STEP_COUNT = 6

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="intakes"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    completed_steps = models.JSONField(default=list, blank=True)

    # Step 1: about you. For an invited patient these start as a copy of the chart.
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=10, choices=Patient.Sex.choices, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(max_length=500, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=100, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True)
    # How the patient wants reminders; copied to the chart on submission. Empty until
    # answered.
    reminder_channel = models.CharField(max_length=5, choices=ReminderChannel.choices, blank=True)

    # Step 2: the pain.
    pain_types = models.JSONField(default=list, blank=True)
    pain_now = models.PositiveSmallIntegerField(null=True, blank=True)
    pain_worst = models.PositiveSmallIntegerField(null=True, blank=True)
    months_with_pain = models.PositiveSmallIntegerField(null=True, blank=True)
    onset = models.CharField(max_length=10, choices=Onset.choices, blank=True)
    cause = models.CharField(max_length=20, choices=Cause.choices, blank=True)
    triggers = models.JSONField(default=list, blank=True)
    headache_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # Pain medicine: doses taken in the last 7 days (the baseline of medication use).
    pain_medication_doses = models.PositiveSmallIntegerField(null=True, blank=True)
    pain_notes = models.TextField(max_length=2000, blank=True)

    # Step 3: daily life (Patient-Specific Functional Scale).
    psfs_activity_1 = models.CharField(max_length=200, blank=True)
    psfs_score_1 = models.PositiveSmallIntegerField(null=True, blank=True)
    psfs_activity_2 = models.CharField(max_length=200, blank=True)
    psfs_score_2 = models.PositiveSmallIntegerField(null=True, blank=True)
    psfs_activity_3 = models.CharField(max_length=200, blank=True)
    psfs_score_3 = models.PositiveSmallIntegerField(null=True, blank=True)

    # Step 4 is IntakeMedication rows. Step 5: health and safety.
    pregnant = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    pregnancy_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    pacemaker = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    bleeding_disorder = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    anticoagulants = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    epilepsy = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    diabetes = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    fainting = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    skin_problem = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    metal_implant = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    health_notes = models.TextField(max_length=2000, blank=True)
    previous_acupuncture = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    previous_acupuncture_notes = models.TextField(max_length=2000, blank=True)
    goals = models.TextField(max_length=2000, blank=True)

    # Step 6: consent, as given.
    consent_to_treatment = models.BooleanField(default=False)
    privacy_acknowledged = models.BooleanField(default=False)
    signature_name = models.CharField(max_length=200, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    consent_ip = models.GenericIPAddressField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Contact details the submission changed on the chart: {field: [before, after]}.
    contact_changes = models.JSONField(default=dict, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A self-started intake, matched to a chart by the front desk.
    registered_at = models.DateTimeField(null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discarded_at = models.DateTimeField(null=True, blank=True)
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discard_reason = models.CharField(max_length=200, blank=True)

    objects = IntakeQuerySet.as_manager()

    class Meta:
        permissions = [("review_intake", "Can mark a submitted intake reviewed")]
        indexes = [
            # The review queue: submitted intakes, newest first.
            models.Index(fields=["status", "-submitted_at"], name="intake_intake_status_submitted"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted", "reviewed", "discarded"]),
                name="intake_intake_status_valid",
            ),
            models.CheckConstraint(
                condition=in_range("pain_now", 0, 10), name="intake_intake_pain_now_range"
            ),
            models.CheckConstraint(
                condition=in_range("pain_worst", 0, 10), name="intake_intake_pain_worst_range"
            ),
            models.CheckConstraint(
                condition=in_range("months_with_pain", 0, 600), name="intake_intake_months_range"
            ),
            models.CheckConstraint(
                condition=in_range("headache_days", 0, 30), name="intake_intake_headache_days_range"
            ),
            models.CheckConstraint(
                condition=in_range("pain_medication_doses", 0, 200),
                name="intake_intake_doses_range",
            ),
            models.CheckConstraint(
                condition=in_range("psfs_score_1", 0, 10), name="intake_intake_psfs_1_range"
            ),
            models.CheckConstraint(
                condition=in_range("psfs_score_2", 0, 10), name="intake_intake_psfs_2_range"
            ),
            models.CheckConstraint(
                condition=in_range("psfs_score_3", 0, 10), name="intake_intake_psfs_3_range"
            ),
            models.CheckConstraint(
                condition=in_range("pregnancy_weeks", 1, 42),
                name="intake_intake_pregnancy_weeks_range",
            ),
            # A submission always carries its consent.
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(status="discarded")
                | Q(
                    submitted_at__isnull=False,
                    consent_to_treatment=True,
                    privacy_acknowledged=True,
                    consented_at__isnull=False,
                )
                & ~Q(signature_name=""),
                name="intake_intake_submitted_with_consent",
            ),
            models.CheckConstraint(
                condition=~Q(status="reviewed")
                | Q(reviewed_at__isnull=False, reviewed_by__isnull=False, patient__isnull=False),
                name="intake_intake_reviewed_by_someone",
            ),
        ]

    def __str__(self):
        return f"Intake {self.code} ({self.get_status_display()})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_pending_registration(self) -> bool:
        return self.patient_id is None and self.status == self.Status.SUBMITTED

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def contact_change_labels(self) -> list[str]:
        return [Patient._meta.get_field(field).verbose_name for field in self.contact_changes]

    @property
    def has_headaches(self) -> bool:
        return bool(HEADACHE_TYPES.intersection(self.pain_types or ()))

    @property
    def pain_type_labels(self) -> list[str]:
        return labels(PainType, self.pain_types)

    @property
    def regions_in_order(self) -> list["IntakePainRegion"]:
        """The pain regions in the vocabulary's order (uses the prefetched regions)."""
        return in_vocabulary_order(self.regions.all())

    @property
    def trigger_labels(self) -> list[str]:
        return labels(Trigger, self.triggers)

    @property
    def psfs_items(self) -> list[tuple[str, int]]:
        """The activities the patient named, with their 0-10 ratings."""
        items = []
        for n in (1, 2, 3):
            activity = getattr(self, f"psfs_activity_{n}")
            score = getattr(self, f"psfs_score_{n}")
            if activity and score is not None:
                items.append((activity, score))
        return items

    @property
    def psfs_mean(self) -> float | None:
        """PSFS score: the mean of the rated activities (Stratford 1995)."""
        items = self.psfs_items
        if not items:
            return None
        return round(sum(score for _, score in items) / len(items), 1)

    def safety_flags(self) -> list[str]:
        """Clinician badges: answers of yes or not sure to the questions that change needling."""
        flags = []
        for field, label in SAFETY_FLAGS:
            answers = [getattr(self, name) for name in field]
            if Answer.YES in answers:
                flags.append(self._flag_text(field, label, certain=True))
            elif Answer.NOT_SURE in answers:
                flags.append(self._flag_text(field, label, certain=False))
        return flags

    def _flag_text(self, fields, label, *, certain: bool) -> str:
        if fields == ("pregnant",) and certain and self.pregnancy_weeks:
            label = f"{label} ({self.pregnancy_weeks} weeks)"
        return label if certain else f"{label}?"


# (field, clinician label, the question as the patient reads it), docs/clinical-rules.md section 2.
SCREENING_QUESTIONS = [
    ("pregnant", "Pregnant", "Are you pregnant, or could you be?"),
    (
        "pacemaker",
        "Pacemaker / implanted electrical device",
        "Do you have a pacemaker or another electrical device implanted in your body?",
    ),
    (
        "bleeding_disorder",
        "Bleeding disorder",
        "Do you have a bleeding disorder, such as haemophilia, or do you bleed or bruise "
        "very easily?",
    ),
    (
        "anticoagulants",
        "Anticoagulants / blood thinners",
        "Do you take blood thinners, for example warfarin, apixaban, rivaroxaban or a "
        "daily aspirin?",
    ),
    ("epilepsy", "Epilepsy / seizures", "Do you have epilepsy or seizures?"),
    ("diabetes", "Diabetes", "Do you have diabetes?"),
    (
        "fainting",
        "Fainting / fear of needles",
        "Do you faint easily, or are you afraid of needles?",
    ),
    (
        "skin_problem",
        "Skin infection or broken skin at the painful area",
        "Is there a skin infection, rash or broken skin where it hurts?",
    ),
    (
        "metal_implant",
        "Metal implant near the painful area",
        "Do you have a metal implant near where it hurts, such as a plate, screws or a joint "
        "replacement?",
    ),
]

# Chart-header badges: (the answers that raise it, badge text). Every screening
# answer of yes or not sure shows one (docs/clinical-rules.md#5-safety-rules).
SAFETY_FLAGS = [
    (("pregnant",), "Pregnant"),
    (("pacemaker",), "Pacemaker / implanted device"),
    (("bleeding_disorder", "anticoagulants"), "Bleeding risk"),
    (("epilepsy",), "Epilepsy"),
    (("diabetes",), "Diabetes"),
    (("fainting",), "Fainting / fear of needles"),
    (("skin_problem",), "Broken or infected skin"),
    (("metal_implant",), "Metal implant"),
]


class IntakePainRegion(models.Model):
    """A body region the patient marked as painful, with its side (for a region that
    has two: intake.body_map.SIDED_REGIONS) and an optional 0-10 score."""

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="regions")
    region = models.CharField(max_length=20, choices=BodyRegion.choices)
    # A region without sides is the whole region: "both".
    side = models.CharField(max_length=5, choices=RegionSide.choices, default=RegionSide.BOTH)
    score = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["intake", "region"], name="intake_painregion_unique"),
            models.CheckConstraint(
                condition=in_range("score", 0, 10), name="intake_painregion_score_range"
            ),
            models.CheckConstraint(
                condition=Q(side__in=RegionSide.values), name="intake_painregion_side_valid"
            ),
            models.CheckConstraint(
                condition=Q(side=RegionSide.BOTH) | Q(region__in=sorted(SIDED_REGIONS)),
                name="intake_painregion_side_of_sided_region",
            ),
        ]

    def __str__(self):
        return self.mark.label

    @property
    def mark(self) -> MarkedRegion:
        return MarkedRegion(self.region, side=self.side, score=self.score)


class IntakeMedication(models.Model):
    """A medicine the patient takes, as they wrote it."""

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(max_length=200)
    dose = models.CharField(max_length=100, blank=True)
    frequency = models.CharField(max_length=100, blank=True)
    for_pain = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


class IntakeInvitation(models.Model):
    """A link that opens one intake. Only a hash of its token is stored.

    Made by the front desk for a registered patient, or by a new patient starting
    on their own (/intake/start/), in which case it has no patient.
    """

    VALID_FOR = datetime.timedelta(days=14)

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="intake_invitations"
    )
    intake = models.ForeignKey(
        Intake, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One link in use per patient: a new one revokes the old.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(revoked_at__isnull=True, patient__isnull=False),
                name="intake_invitation_one_open_per_patient",
            ),
        ]

    def __str__(self):
        return f"Intake link of {self.created_at:%Y-%m-%d}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired
