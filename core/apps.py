from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Small helpers every app may use; core imports no app of the project."""

    name = "core"
    verbose_name = "Core"
    default_auto_field = "django.db.models.BigAutoField"
