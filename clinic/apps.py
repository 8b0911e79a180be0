from django.apps import AppConfig


class ClinicConfig(AppConfig):
    """The top of the app: pages and commands that bring every app together (the
    dashboard, the patient's chart, the audit trail page, demo data, backups)."""

    name = "clinic"
    verbose_name = "Clinic"
    default_auto_field = "django.db.models.BigAutoField"
