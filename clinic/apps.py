from django.apps import AppConfig


class ClinicConfig(AppConfig):
    """The top of the app: pages and commands that bring every app together (the
    dashboard, the patient's chart, the audit trail page, demo data, backups)."""

    name = "clinic"
    verbose_name = "Clinic"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from checkins.views import register_chart_page
        from clinic.views import _chart

        # A new check-in link is shown on the chart, once, in the response to the
        # POST that made it; the chart is this app's (CONTRIBUTING.md, "Layers").
        register_chart_page(_chart)
