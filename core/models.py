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
