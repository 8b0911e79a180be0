from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from acuclinic.roles import ALL_ROLES


class User(AbstractUser):
    """A member of the clinic's staff. Patients have no accounts."""

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def role_names(self) -> list[str]:
        """The user's roles, in the order of ALL_ROLES (uses the prefetched groups if any)."""
        names = {group.name for group in self.groups.all()}
        return [role for role in ALL_ROLES if role in names]


class PractitionerProfile(models.Model):
    """Licensing details of an acupuncturist: only a current licence may sign notes."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="practitioner_profile")
    licence_number = models.CharField(max_length=50)
    licensing_body = models.CharField(
        max_length=200, help_text="e.g. the state or national acupuncture board"
    )
    licence_expiry = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["licensing_body", "licence_number"],
                name="acuclinic_practitionerprofile_unique_licence",
            )
        ]

    def __str__(self):
        return f"{self.user} ({self.licensing_body} {self.licence_number})"

    @property
    def licence_is_current(self) -> bool:
        return self.licence_expiry >= timezone.localdate()


class RateLimitCounter(models.Model):
    """A request count for one client in one time window (acuclinic.ratelimit)."""

    key = models.CharField(max_length=250, unique=True)
    value = models.BigIntegerField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            # Clearing out the counts of windows that have ended.
            models.Index(fields=["expires_at"], name="acuclinic_ratelimit_expires"),
        ]

    def __str__(self):
        return f"{self.key}: {self.value}"
