"""A check-in: the patient's answers between visits (docs/clinical-rules.md section 1).

Made by staff on demand, or automatically at the plan's review date and every few
signed sessions; answered once, through a private link whose token is never stored
(only its hash). One open check-in per patient at a time; an unanswered one expires.
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.ranges import in_range
from intake.models import Patient


class CheckIn(models.Model):
    class Reason(models.TextChoices):
        ON_DEMAND = "on_demand", "Asked by the clinic"
        REVIEW_DATE = "review_date", "Plan review date"
        SESSIONS = "sessions", "After a number of sessions"

    class Pgic(models.IntegerChoices):
        """Patient Global Impression of Change (7 points)."""

        VERY_MUCH_IMPROVED = 1, "Very much improved"
        MUCH_IMPROVED = 2, "Much improved"
        MINIMALLY_IMPROVED = 3, "A little improved"
        NO_CHANGE = 4, "No change"
        MINIMALLY_WORSE = 5, "A little worse"
        MUCH_WORSE = 6, "Much worse"
        VERY_MUCH_WORSE = 7, "Very much worse"

    # How long a check-in link stays open unanswered.
    VALID_FOR = datetime.timedelta(days=7)

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="check_ins")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    # The SHA-256 of the link's token, once a link was made (by staff, or by the worker
    # when it sends the message); the token itself is never stored.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="empty for a check-in the plan asked for",
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    # The daily activities the patient named at intake (their own words), copied when
    # the check-in is made, re-rated 0 (unable) to 10 (as before the problem).
    psfs_activity_1 = models.CharField(max_length=200, blank=True)
    psfs_activity_2 = models.CharField(max_length=200, blank=True)
    psfs_activity_3 = models.CharField(max_length=200, blank=True)
    # Whether to ask about headache days (the intake names headaches or migraine).
    asks_headache_days = models.BooleanField(default=False)

    # The answers.
    pain_now = models.PositiveSmallIntegerField(null=True, blank=True)
    pain_worst = models.PositiveSmallIntegerField(null=True, blank=True)
    psfs_score_1 = models.PositiveSmallIntegerField(null=True, blank=True)
    psfs_score_2 = models.PositiveSmallIntegerField(null=True, blank=True)
    psfs_score_3 = models.PositiveSmallIntegerField(null=True, blank=True)
    pain_medication_doses = models.PositiveSmallIntegerField(null=True, blank=True)
    headache_days = models.PositiveSmallIntegerField(null=True, blank=True)
    pgic = models.PositiveSmallIntegerField(choices=Pgic.choices, null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # A patient's latest answered check-in (session form, progress page).
            models.Index(fields=["patient", "-submitted_at"], name="checkins_patient_submitted"),
        ]
        constraints = [
            # One open check-in per patient: made, not answered, not revoked (expiry is
            # checked on use, as for intake links).
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(submitted_at__isnull=True, revoked_at__isnull=True),
                name="checkins_checkin_one_open_per_patient",
            ),
            models.CheckConstraint(
                condition=in_range("pain_now", 0, 10), name="checkins_checkin_pain_now_range"
            ),
            models.CheckConstraint(
                condition=in_range("pain_worst", 0, 10), name="checkins_checkin_pain_worst_range"
            ),
            models.CheckConstraint(
                condition=in_range("psfs_score_1", 0, 10), name="checkins_checkin_psfs_1_range"
            ),
            models.CheckConstraint(
                condition=in_range("psfs_score_2", 0, 10), name="checkins_checkin_psfs_2_range"
            ),
            models.CheckConstraint(
                condition=in_range("psfs_score_3", 0, 10), name="checkins_checkin_psfs_3_range"
            ),
            models.CheckConstraint(
                condition=in_range("pain_medication_doses", 0, 200),
                name="checkins_checkin_doses_range",
            ),
            models.CheckConstraint(
                condition=in_range("headache_days", 0, 30),
                name="checkins_checkin_headache_days_range",
            ),
            models.CheckConstraint(
                condition=in_range("pgic", 1, 7), name="checkins_checkin_pgic_range"
            ),
        ]

    def __str__(self):
        return f"Check-in {self.code}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_open(self) -> bool:
        """Waiting for the patient's answers: not answered, revoked or expired."""
        return not self.is_submitted and self.revoked_at is None and not self.is_expired

    def psfs_pairs(self) -> list[tuple[str, int | None]]:
        """(activity, score) for each activity the patient named."""
        pairs = [
            (self.psfs_activity_1, self.psfs_score_1),
            (self.psfs_activity_2, self.psfs_score_2),
            (self.psfs_activity_3, self.psfs_score_3),
        ]
        return [(activity, score) for activity, score in pairs if activity]

    @property
    def psfs_mean(self) -> float | None:
        scores = [score for _activity, score in self.psfs_pairs() if score is not None]
        return sum(scores) / len(scores) if scores else None
