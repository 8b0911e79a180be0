from django.apps import AppConfig


class CheckInsConfig(AppConfig):
    """Check-ins: short questionnaires patients answer between visits, through a
    private link, so their progress is measured between sessions too."""

    name = "checkins"
    verbose_name = "Check-ins"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from checkins.services import make_message_link
        from messaging import links
        from messaging.models import Message

        # A check-in message's link is minted as the worker sends it, so the outbox
        # never holds a token (messaging.links; CONTRIBUTING.md, "Layers").
        links.register(Message.Kind.CHECK_IN, make_message_link)
