from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    """The clinic's day: appointments, booking, check-in, the schedule."""

    name = "scheduling"
    verbose_name = "Schedule"
    default_auto_field = "django.db.models.BigAutoField"
