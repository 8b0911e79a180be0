from django.apps import AppConfig


class MessagingConfig(AppConfig):
    """Messages to patients (reminders, confirmations, recalls): the outbox and the
    channels that send it, by a worker, never inside a web request."""

    name = "messaging"
    verbose_name = "Messages"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from messaging import checks  # noqa: F401  (registers the settings checks)
