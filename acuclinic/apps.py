from django.apps import AppConfig


class AcuclinicConfig(AppConfig):
    """The shared core: staff user model, roles and the practitioner profile."""

    name = "acuclinic"
    verbose_name = "Clinic staff"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from acuclinic.auth import start_session

        user_logged_in.connect(start_session, dispatch_uid="acuclinic_start_session")
