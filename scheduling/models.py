"""Appointments: the clinic's day."""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from intake.models import Patient


class AppointmentQuerySet(models.QuerySet):
    def upcoming(self, now: datetime.datetime | None = None):
        """Booked appointments that have not started yet, soonest first."""
        return self.filter(
            status=Appointment.Status.BOOKED, starts_at__gte=now or timezone.now()
        ).order_by("starts_at")


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        ARRIVED = "arrived", "Arrived"
        ATTENDED = "attended", "Attended"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    # The statuses that hold the practitioner's and the patient's time: a booking
    # overlapping one of these is refused.
    HOLDS_TIME = (Status.BOOKED, Status.ARRIVED)
    # A visit still booked this long after its end shows "not checked in".
    NOT_CHECKED_IN_AFTER = datetime.timedelta(hours=1)

    LENGTH_CHOICES = [(30, "30 minutes"), (45, "45 minutes"), (60, "1 hour"), (90, "1½ hours")]

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    length_minutes = models.PositiveSmallIntegerField(choices=LENGTH_CHOICES, default=45)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    status_reason = models.CharField(max_length=200, blank=True)
    # When the front desk checked the patient in (status "arrived", then "attended").
    arrived_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            # A patient's next appointment (chart, plan page, worklist).
            models.Index(
                fields=["patient", "status", "starts_at"], name="scheduling_appt_patient_next"
            ),
            # A practitioner's visits in a span of time: their schedule's day and week,
            # their "Today" list, and the clash check (which also filters by status).
            models.Index(fields=["practitioner", "starts_at"], name="scheduling_appt_pract_starts"),
            # The schedule: every practitioner's visits of a day or a week.
            models.Index(fields=["starts_at"], name="scheduling_appt_starts"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["booked", "arrived", "attended", "cancelled", "no_show"]),
                name="scheduling_appointment_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(length_minutes__gte=5, length_minutes__lte=240),
                name="scheduling_appointment_length_range",
            ),
        ]

    def __str__(self):
        return f"Appointment {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> datetime.datetime:
        return self.starts_at + datetime.timedelta(minutes=self.length_minutes)

    @property
    def is_booked(self) -> bool:
        return self.status == self.Status.BOOKED

    @property
    def not_checked_in(self) -> bool:
        """Still booked an hour after its end: the patient did not come, or was not
        checked in."""
        return self.is_booked and timezone.now() >= self.ends_at + self.NOT_CHECKED_IN_AFTER


# --- The clinic's hours -------------------------------------------------------------
# Kept by the clinic admin in /admin/. Times are the clinic's wall-clock times
# (settings.TIME_ZONE), so 09:00 stays 09:00 across a change of daylight saving time.


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


def validate_quarter_hour(value: datetime.time) -> None:
    """The schedule's rows are quarter hours: hours begin and end on one."""
    if value.minute % 15 or value.second or value.microsecond:
        raise ValidationError("Use a quarter hour: :00, :15, :30 or :45.", code="quarter_hour")


def _refuse_overlap(rows, *, starts, ends, what: str) -> None:
    for other in rows:
        if other.starts < ends and starts < other.ends:
            raise ValidationError(
                f"This overlaps {what} {other.starts:%H:%M}–{other.ends:%H:%M}: "
                "change that one instead."
            )


class OpeningHours(models.Model):
    """When the clinic is open on a weekday: one row per period (two for a lunch
    break). A weekday with no rows is closed."""

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField("opens", validators=[validate_quarter_hour])
    ends = models.TimeField("closes", validators=[validate_quarter_hour])

    class Meta:
        ordering = ["weekday", "starts"]
        verbose_name = "opening hours"
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=models.F("starts")), name="scheduling_openinghours_order"
            ),
            models.CheckConstraint(
                condition=Q(weekday__lte=6), name="scheduling_openinghours_weekday_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"

    def clean(self):
        if self.starts is not None and self.ends is not None:
            if self.ends <= self.starts:
                raise ValidationError({"ends": "Closing comes after opening."})
            _refuse_overlap(
                OpeningHours.objects.filter(weekday=self.weekday).exclude(pk=self.pk),
                starts=self.starts,
                ends=self.ends,
                what="the opening hours",
            )


class Closure(models.Model):
    """A day or days the clinic is closed (a public holiday, the clinic's own
    holiday), whatever its opening hours say."""

    first_day = models.DateField()
    last_day = models.DateField(
        null=True, blank=True, help_text="for a closure of several days; empty for one day"
    )
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["first_day"]
        indexes = [
            # The closures touching the days a schedule or a booking looks at.
            models.Index(fields=["first_day", "last_day"], name="scheduling_closure_days"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__isnull=True) | Q(last_day__gte=models.F("first_day")),
                name="scheduling_closure_order",
            ),
        ]

    def __str__(self):
        if self.last_day and self.last_day != self.first_day:
            return f"{self.first_day:%Y-%m-%d} to {self.last_day:%Y-%m-%d}: {self.reason}"
        return f"{self.first_day:%Y-%m-%d}: {self.reason}"

    def clean(self):
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValidationError({"last_day": "The last day comes on or after the first."})


class PractitionerHours(models.Model):
    """When a practitioner works on a weekday, one row per period. A practitioner
    with no rows at all works the clinic's opening hours; one with rows works only
    those (and only while the clinic is open)."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField(validators=[validate_quarter_hour])
    ends = models.TimeField(validators=[validate_quarter_hour])

    class Meta:
        ordering = ["practitioner", "weekday", "starts"]
        verbose_name = "practitioner's working hours"
        verbose_name_plural = "practitioners' working hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=models.F("starts")), name="scheduling_practitionerhours_order"
            ),
            models.CheckConstraint(
                condition=Q(weekday__lte=6), name="scheduling_practitionerhours_weekday_valid"
            ),
        ]

    def __str__(self):
        return (
            f"{self.practitioner}: {self.get_weekday_display()} "
            f"{self.starts:%H:%M}–{self.ends:%H:%M}"
        )

    def clean(self):
        if self.starts is not None and self.ends is not None:
            if self.ends <= self.starts:
                raise ValidationError({"ends": "The end comes after the start."})
            if self.practitioner_id is not None:
                _refuse_overlap(
                    PractitionerHours.objects.filter(
                        practitioner_id=self.practitioner_id, weekday=self.weekday
                    ).exclude(pk=self.pk),
                    starts=self.starts,
                    ends=self.ends,
                    what="the hours",
                )
