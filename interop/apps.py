from django.apps import AppConfig


class InteropConfig(AppConfig):
    """Records leaving the clinic in a standard form: the FHIR R4 export of one patient
    and of the whole clinic, and the sessions as CSV."""

    name = "interop"
    verbose_name = "Exports (FHIR, CSV)"
    default_auto_field = "django.db.models.BigAutoField"
