from django.conf import settings
from django.db import models


class RateLimitCounter(models.Model):
    """A request count for one client in one time window (core.ratelimit)."""

    key = models.CharField(max_length=250, unique=True)
    value = models.BigIntegerField()
    expires_at = models.DateTimeField()

    class Meta:
        # The table it was made with, when it belonged to the staff app.
        db_table = "acuclinic_ratelimitcounter"
        indexes = [
            # Clearing out the counts of windows that have ended.
            models.Index(fields=["expires_at"], name="acuclinic_ratelimit_expires"),
        ]

    def __str__(self):
        return f"{self.key}: {self.value}"


class Clinic(models.Model):
    """The clinic's own details, shown to patients (their pages, messages, calendar
    files). One row, kept by the clinic admin in /admin/; it starts from the
    CLINIC_NAME, CLINIC_PHONE and CLINIC_ADDRESS settings."""

    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True, help_text="as patients should dial it")
    address = models.CharField(
        max_length=300, blank=True, help_text="one line, as it goes in a calendar entry"
    )

    class Meta:
        verbose_name = "clinic details"
        verbose_name_plural = "clinic details"

    def __str__(self):
        return self.name

    @classmethod
    def current(cls) -> "Clinic":
        """The clinic's details (made from the settings the first time they are asked)."""
        clinic, _ = cls.objects.get_or_create(
            pk=1,
            defaults={
                "name": settings.CLINIC_NAME,
                "phone": settings.CLINIC_PHONE,
                "address": settings.CLINIC_ADDRESS,
            },
        )
        return clinic
