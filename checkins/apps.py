from django.apps import AppConfig


class CheckInsConfig(AppConfig):
    """Check-ins: short questionnaires patients answer between visits, through a
    private link, so their progress is measured between sessions too."""

    name = "checkins"
    verbose_name = "Check-ins"
    default_auto_field = "django.db.models.BigAutoField"
