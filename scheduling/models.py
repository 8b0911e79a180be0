"""Appointments: the clinic's day."""

import datetime
import uuid

from django.conf import settings
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
            # A practitioner's booked time, for the clash check.
            models.Index(
                fields=["practitioner", "status", "starts_at"], name="scheduling_appt_practitioner"
            ),
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
