import datetime
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from intake.models import Patient
from plans import cadence as policy
from sessions.models import Protocol, TreatmentSession

RUNG_CHOICES = [(rung.value, rung.label) for rung in policy.RUNGS]
PAIN_VALIDATORS = [MinValueValidator(0), MaxValueValidator(10)]


class ReferralContact(models.Model):
    """The clinic's directory of people it refers patients to, kept by the clinic admin."""

    class Profession(models.TextChoices):
        PHYSICIAN = "physician", "Physician"
        CHIROPRACTOR = "chiropractor", "Chiropractor"
        PHYSIOTHERAPIST = "physiotherapist", "Physiotherapist"
        MASSAGE_THERAPIST = "massage_therapist", "Massage therapist"

    name = models.CharField(max_length=200)
    profession = models.CharField(max_length=20, choices=Profession.choices)
    organisation = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(max_length=500, blank=True)
    notes = models.TextField(max_length=1000, blank=True)
    is_active = models.BooleanField(
        default=True, help_text="Untick to stop offering this contact on new plans."
    )

    class Meta:
        ordering = ["profession", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    profession__in=[
                        "physician",
                        "chiropractor",
                        "physiotherapist",
                        "massage_therapist",
                    ]
                ),
                name="plans_referralcontact_profession_valid",
            )
        ]

    def __str__(self):
        where = f", {self.organisation}" if self.organisation else ""
        return f"{self.name} ({self.get_profession_display().lower()}{where})"


class Advice(models.TextChoices):
    """The home-care checklist: short reminders; the details go in the free text."""

    EXERCISE = "exercise", "Daily gentle exercise or stretches"
    POSTURE = "posture", "Posture and workstation breaks"
    SLEEP = "sleep", "Sleep routine and pillow"
    STRESS = "stress", "Stress management (breathing, relaxation)"
    HEAT = "heat", "Heat on tight muscles"
    HEADACHE_DIARY = "headache_diary", "Headache or pain diary"


class PlanQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Plan.Status.ACTIVE)

    def due_by(self, day: datetime.date):
        """Active plans whose next visit is due on or before `day` (overdue ones too)."""
        return self.active().filter(next_due__lte=day)


class Plan(models.Model):
    """A patient's treatment plan. Its cadence is always what replaying the cadence
    policy over its signed sessions and decisions gives (plans.services.plan_replay);
    the fields under "kept from the replay" are that result, stored for the worklist."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed (discharged)"
        DISCONTINUED = "discontinued", "Discontinued"

    class BaselineSource(models.TextChoices):
        INTAKE = "intake", "the intake's pain now"
        FIRST_SESSION = "first_session", "the first session's pain before"
        CORRECTED = "corrected", "corrected by a practitioner"
        PENDING = "pending", "not yet known: the first session's pain before"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="plans",
        help_text="The acupuncturist responsible for the plan.",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    start_date = models.DateField(default=timezone.localdate)

    baseline_pain = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=PAIN_VALIDATORS
    )
    baseline_source = models.CharField(max_length=15, choices=BaselineSource.choices)
    months_with_pain = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(600)],
        help_text="How long the pain has lasted; sets the course estimate.",
    )

    target_pain = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=PAIN_VALIDATORS
    )
    functional_goals = models.TextField(max_length=2000, blank=True)
    pain_pattern = models.TextField(max_length=2000, blank=True)
    protocols = models.ManyToManyField(Protocol, blank=True, related_name="plans")
    advice = models.JSONField(default=list, blank=True)  # Advice values
    advice_notes = models.TextField(max_length=2000, blank=True)
    referrals = models.ManyToManyField(ReferralContact, blank=True, related_name="plans")
    referral_notes = models.TextField(max_length=1000, blank=True)
    review_date = models.DateField(null=True, blank=True)
    # A check-in is sent to the patient after every this many signed sessions (and at
    # the review date); 0 turns the automatic ones off.
    check_in_every = models.PositiveSmallIntegerField(
        "sessions between check-ins",
        default=4,
        validators=[MaxValueValidator(52)],
        help_text="Send the patient a check-in after every this many sessions (0: never).",
    )

    # Kept from the replay.
    cadence = models.CharField(max_length=12, choices=RUNG_CHOICES, default=policy.Rung.WEEKLY)
    policy_cadence = models.CharField(
        max_length=12, choices=RUNG_CHOICES, default=policy.Rung.WEEKLY
    )
    on_hold = models.BooleanField(default=False)
    next_due = models.DateField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)  # cadence.Flag values
    session_count = models.PositiveSmallIntegerField(default=0)
    # Kept from the signed visits for the clinic's outcomes (plans.figures).
    latest_pain = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    first_important_visit = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    first_visit_date = models.DateField(null=True, blank=True, editable=False)
    first_doses = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    first_doses_date = models.DateField(null=True, blank=True, editable=False)
    last_doses = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    last_doses_date = models.DateField(null=True, blank=True, editable=False)
    dosed_visits = models.PositiveSmallIntegerField(default=0, editable=False)

    ended_on = models.DateField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(max_length=500, blank=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Counts edits of the details; the edit form carries it (core.concurrency).
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = PlanQuerySet.as_manager()

    class Meta:
        indexes = [
            # The due worklist and its counts on every dashboard (plans.selectors
            # .due_worklist, worklist_counts), and the recalls: active plans by next
            # visit due. Active plans only, a small share of all plans; with the
            # patient in the key, the counts read the index alone.
            models.Index(
                fields=["next_due", "patient"],
                condition=Q(status="active"),
                name="plans_plan_active_due",
            ),
            # The same for one practitioner's worklist (its filter).
            models.Index(
                fields=["practitioner", "next_due", "patient"],
                condition=Q(status="active"),
                name="plans_plan_practitioner_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="active"),
                name="plans_plan_one_active_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "completed", "discontinued"]),
                name="plans_plan_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(baseline_pain__isnull=True) | Q(baseline_pain__lte=10),
                name="plans_plan_baseline_pain_range",
            ),
            models.CheckConstraint(
                condition=Q(target_pain__isnull=True) | Q(target_pain__lte=10),
                name="plans_plan_target_pain_range",
            ),
            models.CheckConstraint(
                condition=Q(check_in_every__lte=52),
                name="plans_plan_check_in_every_range",
            ),
            models.CheckConstraint(
                condition=Q(cadence__in=[r.value for r in policy.RUNGS])
                & Q(policy_cadence__in=[r.value for r in policy.RUNGS]),
                name="plans_plan_cadence_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="active", ended_on__isnull=True)
                | (~Q(status="active") & Q(ended_on__isnull=False)),
                name="plans_plan_ended_matches_status",
            ),
            models.CheckConstraint(
                condition=~Q(status="discontinued") | ~Q(end_reason=""),
                name="plans_plan_discontinued_has_reason",
            ),
        ]

    def __str__(self):
        return f"Plan for {self.patient} from {self.start_date:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def rung(self) -> policy.Rung:
        return policy.Rung(self.cadence)

    @property
    def cadence_words(self) -> str:
        """ "Every 2 weeks"."""
        return self.rung.words.capitalize()

    @property
    def course_estimate(self) -> int:
        return policy.course_estimate(self.months_with_pain)

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.is_active and policy.is_overdue(self.next_due, today or timezone.localdate())

    def days_overdue(self, today: datetime.date | None = None) -> int:
        return policy.days_overdue(self.next_due, today or timezone.localdate())

    def advice_labels(self) -> list[str]:
        return [Advice(value).label for value in self.advice if value in Advice.values]


class PlanSession(models.Model):
    """A signed session counted in a plan. A session belongs to at most one plan."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="plan_sessions")
    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="plan_link"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self):
        return f"{self.session} in {self.plan}"


class PlanDecision(models.Model):
    """A practitioner's decision about the cadence or baseline. Never changed afterwards."""

    class Kind(models.TextChoices):
        OVERRIDE = "override", "Set the cadence"
        HOLD = "hold", "Hold the cadence"
        RELEASE = "release", "Release the hold"
        BASELINE = "baseline", "Correct the baseline"

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Takes effect after that day's sessions in the replay.
    date = models.DateField(default=timezone.localdate)
    rung = models.CharField(max_length=12, choices=RUNG_CHOICES, blank=True)
    baseline_pain = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=PAIN_VALIDATORS
    )
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["date", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="override") | ~Q(rung=""),
                name="plans_plandecision_override_has_rung",
            ),
            models.CheckConstraint(
                condition=~Q(kind="baseline") | Q(baseline_pain__isnull=False),
                name="plans_plandecision_baseline_has_value",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="plans_plandecision_reason_required"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.plan}"


class PlanEvent(models.Model):
    """One change to a plan: what, from and to, the rule and numbers, who, which session."""

    class Kind(models.TextChoices):
        CREATED = "created", "Plan created"
        CADENCE = "cadence", "Cadence changed"
        HOLD = "hold", "Cadence held"
        RELEASE = "release", "Hold released"
        BASELINE = "baseline", "Baseline"
        FLAG = "flag", "Flag raised"
        DETAILS = "details", "Plan details changed"
        COMPLETED = "completed", "Plan completed"
        DISCONTINUED = "discontinued", "Plan discontinued"

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    from_value = models.CharField(max_length=100, blank=True)
    to_value = models.CharField(max_length=100, blank=True)
    rule = models.CharField(max_length=20, blank=True)
    numbers = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    automatic = models.BooleanField(default=False)
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision = models.ForeignKey(
        PlanDecision, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.plan}"

    @property
    def flag_label(self) -> str:
        return policy.FLAG_LABELS.get(self.to_value, self.to_value)
