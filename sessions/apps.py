from django.apps import AppConfig


class TreatmentSessionsConfig(AppConfig):
    """Treatment sessions.

    The label is not "sessions": that one belongs to django.contrib.sessions. It is
    part of table names, permissions and migration dependencies, so it is fixed
    from the first migration on.
    """

    name = "sessions"
    label = "treatment_sessions"
    verbose_name = "Treatment sessions"
