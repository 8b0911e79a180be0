from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """Patients and their intake."""

    name = "intake"
    verbose_name = "Patients and intake"
