from django.apps import AppConfig


class AcuclinicConfig(AppConfig):
    """The shared core: staff user model, roles and the practitioner profile."""

    name = "acuclinic"
    verbose_name = "Clinic staff"
