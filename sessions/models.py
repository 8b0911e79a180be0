import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.ranges import in_range, range_validators
from intake import body_map
from intake.models import Patient
from sessions import points as point_codes
from sessions.vocabulary import (
    AdverseEventType,
    Causality,
    ElectroIntensity,
    Modality,
    Position,
    Severity,
    Side,
)

TEXT_MAX = 5000


# The session's numbers and their ranges: validators, database constraints and the
# form's bounds all read them from here.
NUMBER_RANGES = {
    "pain_before": (0, 10),
    "pain_after": (0, 10),
    "ea_frequency_hz": (1, 200),
    "needles_inserted": (0, 200),
    "needles_removed": (0, 200),
    "retention_minutes": (0, 120),
    "pain_medication_doses": (0, 200),
    "headache_days": (0, 30),
}


def _whole(field: str):
    return range_validators(*NUMBER_RANGES[field])


def validate_regions_treated(value) -> None:
    try:
        marks = body_map.from_stored(value)
        if body_map.stored(marks) != value:
            raise ValueError("Regions are stored once each, in the vocabulary's order")
    except ValueError as error:
        raise ValidationError(f"Not a list of regions treated: {error}", code="invalid") from None


class Point(models.Model):
    """One of the 361 WHO standard acupuncture points, or one of the 48 extra points
    (docs/clinical-rules.md section 4).

    Reference data, loaded by migrations from sessions/data/who_points.csv and
    sessions/data/who_extra_points.csv. An extra point's "meridian" is its region
    (EX-HN3 is number 3 of EX-HN).
    """

    code = models.CharField(max_length=10, unique=True)
    meridian = models.CharField(max_length=5)
    number = models.PositiveSmallIntegerField()
    pinyin = models.CharField(max_length=40)

    class Meta:
        # The standard's order: meridian by meridian, as the data file lists them.
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meridian", "number"], name="treatment_sessions_point_unique_number"
            )
        ]

    def __str__(self):
        return f"{self.code} {self.pinyin}"

    @property
    def meridian_name(self) -> str:
        return point_codes.GROUP_NAMES[self.meridian]


class Protocol(models.Model):
    """A named, reusable set of points, e.g. "Neck tension headache"."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(max_length=2000, blank=True)
    # Canonical text, as sessions.points.format_points writes it: "GB20, GB21, LI4".
    points = models.TextField(max_length=1000)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def needled_points(self) -> tuple[point_codes.NeedledPoint, ...]:
        return point_codes.parse_points(self.points).points


# What the practitioner writes in a session note (the session form's fields).
NOTE_FIELDS = (
    "date",
    "pain_before",
    "pain_after",
    "modalities",
    "ea_frequency_hz",
    "ea_intensity",
    "needles_inserted",
    "needles_removed",
    "needle_count_explanation",
    "retention_minutes",
    "position",
    "subjective",
    "objective",
    "range_of_motion",
    "assessment",
    "plan_notes",
    "pain_medication_doses",
    "headache_days",
    "regions_treated",
)


class TreatmentSessionQuerySet(models.QuerySet):
    def stale_drafts(self, *, user, older_than=timedelta(hours=24)):
        """The user's unsigned drafts started more than a day ago."""
        return self.filter(
            created_by=user,
            status=TreatmentSession.Status.DRAFT,
            created_at__lt=timezone.now() - older_than,
        )

    def for_chart(self):
        """Everything the chart's session list shows, in a constant number of queries."""
        return (
            self.exclude(status=TreatmentSession.Status.DISCARDED)
            .select_related("created_by")
            .prefetch_related(
                models.Prefetch(
                    "needled_points", queryset=SessionPoint.objects.select_related("point")
                ),
                "adverse_events",
            )
            .order_by("-date", "-created_at")
        )


class TreatmentSession(models.Model):
    """What happened at one visit, as the acupuncturist logged it (docs/clinical-rules.md,
    section 3).

    A draft until its author signs it; then read-only, corrected only by addenda.
    Nothing is deleted: a draft logged in error is discarded with a reason.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"
        DISCARDED = "discarded", "Discarded"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    # The new-session form's one-time token: the same form sent twice (a double
    # click, a retried request) makes one session, not two.
    form_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # The visit this session was started from ("Start session" on the day's list):
    # signing the session marks it attended.
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    date = models.DateField()

    pain_before = models.PositiveSmallIntegerField(validators=_whole("pain_before"))
    pain_after = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_whole("pain_after")
    )

    modalities = models.JSONField(default=list, blank=True)
    ea_frequency_hz = models.PositiveSmallIntegerField(
        "electroacupuncture frequency (Hz)",
        null=True,
        blank=True,
        validators=_whole("ea_frequency_hz"),
    )
    ea_intensity = models.CharField(
        "electroacupuncture intensity", max_length=10, choices=ElectroIntensity.choices, blank=True
    )
    needles_inserted = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_whole("needles_inserted")
    )
    needles_removed = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_whole("needles_removed")
    )
    needle_count_explanation = models.TextField(max_length=2000, blank=True)
    retention_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_whole("retention_minutes")
    )
    position = models.CharField(max_length=12, choices=Position.choices, blank=True)
    # The body regions treated, each with its side, as intake.body_map.stored writes
    # them: [{"region": "shoulders", "side": "left"}, {"region": "neck", "side": "both"}].
    regions_treated = models.JSONField(
        default=list, blank=True, validators=[validate_regions_treated]
    )

    subjective = models.TextField(max_length=TEXT_MAX, blank=True)
    objective = models.TextField(max_length=TEXT_MAX, blank=True)
    range_of_motion = models.TextField(max_length=2000, blank=True)
    assessment = models.TextField(max_length=TEXT_MAX, blank=True)
    plan_notes = models.TextField("plan", max_length=TEXT_MAX, blank=True)

    pain_medication_doses = models.PositiveSmallIntegerField(
        "pain medication doses in the last 7 days",
        null=True,
        blank=True,
        validators=_whole("pain_medication_doses"),
    )
    headache_days = models.PositiveSmallIntegerField(
        "headache days in the last 30 days",
        null=True,
        blank=True,
        validators=_whole("headache_days"),
    )

    # The author, who alone edits the draft and signs it.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="treatment_sessions",
        verbose_name="practitioner",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discarded_at = models.DateTimeField(null=True, blank=True)
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discard_reason = models.CharField(max_length=200, blank=True)

    objects = TreatmentSessionQuerySet.as_manager()

    class Meta:
        permissions = [("sign_treatmentsession", "Can sign a treatment session note")]
        indexes = [
            # The chart's session list and the previous session: a patient's, newest first.
            models.Index(fields=["patient", "-date"], name="tsession_patient_date"),
            # The dashboard's unsigned drafts: an author's drafts by age.
            models.Index(
                fields=["created_by", "status", "created_at"], name="tsession_author_status"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "signed", "discarded"]),
                name="treatment_sessions_session_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    pain_before__gte=NUMBER_RANGES["pain_before"][0],
                    pain_before__lte=NUMBER_RANGES["pain_before"][1],
                ),
                name="treatment_sessions_session_pain_before_range",
            ),
            models.CheckConstraint(
                condition=in_range("pain_after", *NUMBER_RANGES["pain_after"]),
                name="treatment_sessions_session_pain_after_range",
            ),
            models.CheckConstraint(
                condition=in_range("ea_frequency_hz", *NUMBER_RANGES["ea_frequency_hz"]),
                name="treatment_sessions_session_ea_frequency_range",
            ),
            models.CheckConstraint(
                condition=in_range("needles_inserted", *NUMBER_RANGES["needles_inserted"]),
                name="treatment_sessions_session_needles_inserted_range",
            ),
            models.CheckConstraint(
                condition=in_range("needles_removed", *NUMBER_RANGES["needles_removed"]),
                name="treatment_sessions_session_needles_removed_range",
            ),
            models.CheckConstraint(
                condition=in_range("retention_minutes", *NUMBER_RANGES["retention_minutes"]),
                name="treatment_sessions_session_retention_range",
            ),
            models.CheckConstraint(
                condition=in_range(
                    "pain_medication_doses", *NUMBER_RANGES["pain_medication_doses"]
                ),
                name="treatment_sessions_session_medication_doses_range",
            ),
            models.CheckConstraint(
                condition=in_range("headache_days", *NUMBER_RANGES["headache_days"]),
                name="treatment_sessions_session_headache_days_range",
            ),
            # A signed note is complete: who signed, when, pain after, both needle
            # counts, and an explanation when the counts differ.
            models.CheckConstraint(
                condition=~Q(status="signed")
                | (
                    Q(
                        signed_at__isnull=False,
                        signed_by__isnull=False,
                        pain_after__isnull=False,
                        needles_inserted__isnull=False,
                        needles_removed__isnull=False,
                    )
                    & (
                        Q(needles_inserted=models.F("needles_removed"))
                        | ~Q(needle_count_explanation="")
                    )
                ),
                name="treatment_sessions_session_signed_complete",
            ),
            models.CheckConstraint(
                condition=~Q(status="discarded")
                | Q(discarded_at__isnull=False, discarded_by__isnull=False) & ~Q(discard_reason=""),
                name="treatment_sessions_session_discarded_with_reason",
            ),
        ]

    def __str__(self):
        return f"Session {self.date:%Y-%m-%d} ({self.get_status_display()})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED

    @property
    def is_discarded(self) -> bool:
        return self.status == self.Status.DISCARDED

    @property
    def needle_count_mismatch(self) -> bool:
        return (
            self.needles_inserted is not None
            and self.needles_removed is not None
            and self.needles_inserted != self.needles_removed
        )

    @property
    def needle_counts_unexplained(self) -> bool:
        return self.needle_count_mismatch and not self.needle_count_explanation.strip()

    @property
    def uses_electroacupuncture(self) -> bool:
        return Modality.ELECTROACUPUNCTURE in (self.modalities or ())

    def modality_labels(self) -> list[str]:
        labels = dict(Modality.choices)
        return [labels.get(value, value) for value in self.modalities or ()]

    def point_list(self) -> tuple[point_codes.NeedledPoint, ...]:
        """The points needled, in order (uses the prefetched needled_points if any)."""
        return tuple(row.needled_point for row in self.needled_points.all())

    def points_text(self) -> str:
        return point_codes.format_points(self.point_list())

    def regions_treated_marks(self) -> list[body_map.MarkedRegion]:
        return body_map.from_stored(self.regions_treated or [])


class SessionPoint(models.Model):
    """A point needled in a session, with its side, and for Jiaji its spinal level."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.CASCADE, related_name="needled_points"
    )
    point = models.ForeignKey(Point, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    # Jiaji's level or range as the parser writes it ("L4", "L3-L5"); empty for
    # every other point. A database default too, for rows written without the ORM.
    level = models.CharField(max_length=7, blank=True, default="", db_default="")
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["order"]
        constraints = [
            # A point once a session; Jiaji once a level (L1 and L4 are two entries).
            models.UniqueConstraint(
                fields=["session", "point", "level"],
                name="treatment_sessions_sessionpoint_unique",
            ),
            models.CheckConstraint(
                condition=Q(side__in=["bilateral", "left", "right", "midline"]),
                name="treatment_sessions_sessionpoint_side_valid",
            ),
        ]

    def __str__(self):
        return str(self.needled_point)

    @property
    def needled_point(self) -> point_codes.NeedledPoint:
        return point_codes.NeedledPoint(self.point.code, self.side, self.level)


# What the practitioner records of an adverse event (the adverse event form's fields).
ADVERSE_EVENT_FIELDS = ("kind", "severity", "causality", "action_taken", "notes")


class AdverseEvent(models.Model):
    """Something that went wrong at a session (docs/clinical-rules.md section 3)."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.CASCADE, related_name="adverse_events"
    )
    kind = models.CharField("type", max_length=20, choices=AdverseEventType.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    causality = models.CharField(max_length=10, choices=Causality.choices)
    action_taken = models.CharField(max_length=500, blank=True)
    notes = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_severity_display()})"


class SafetyAcknowledgement(models.Model):
    """A safety warning the practitioner read and accepted before saving the session."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.CASCADE, related_name="safety_acknowledgements"
    )
    rule = models.CharField(max_length=30)
    warning = models.TextField(max_length=1000)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["acknowledged_at", "id"]

    def __str__(self):
        return f"{self.rule} acknowledged by {self.acknowledged_by}"


class SessionAddendum(models.Model):
    """A correction or addition to a signed note: the note itself never changes."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField(max_length=TEXT_MAX)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "session addenda"

    def __str__(self):
        return f"Addendum by {self.created_by} at {self.created_at:%Y-%m-%d %H:%M}"
