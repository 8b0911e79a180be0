from django.apps import AppConfig


class ProgressConfig(AppConfig):
    """Whether patients get better: the progress page and its charts, the report for
    a referring physician, and the clinic's outcomes."""

    name = "progress"
    verbose_name = "Progress and outcomes"
    default_auto_field = "django.db.models.BigAutoField"
