"""The outbox: every message to a patient, from queued to sent (or failed)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from intake.models import Patient


class Message(models.Model):
    """One message to one patient, by email or text. Its text is about a visit (the
    clinic, the practitioner, the time, the place) and never clinical: callers
    compose it (scheduling.notices, plans.recalls)."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Booking confirmation"
        REMINDER = "reminder", "Reminder"
        CANCELLATION = "cancellation", "Cancellation"
        RECALL = "recall", "Time to book"
        CHECK_IN = "check_in", "Check-in"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    # The address or number when the message was queued (the chart may change later).
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    # A file sent with an email (the calendar entry of a booking); none by text.
    attachment_name = models.CharField(max_length=100, blank=True)
    attachment = models.BinaryField(blank=True, default=b"")
    # What the message is about, e.g. "reminder:appointment:<code>": the same key
    # is never queued twice, however many workers or cron runs ask at once.
    dedupe_key = models.CharField(max_length=200, unique=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Queued: when to try (again). Sending: when the claim of the worker sending it
    # lapses (a worker that died mid-send leaves it to be tried again then).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # Why the last attempt failed, in a few words: never the address or the text.
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # deliver_due: queued (or stale sending) messages whose time has come.
            models.Index(fields=["status", "next_attempt_at"], name="messaging_message_due"),
            # The outbox page: newest first, all of them or one status.
            models.Index(fields=["-created_at"], name="messaging_message_newest"),
            models.Index(fields=["status", "-created_at"], name="messaging_message_status_new"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=["confirmation", "reminder", "cancellation", "recall", "check_in"]
                ),
                name="messaging_message_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["email", "sms"]), name="messaging_message_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sending", "sent", "failed"]),
                name="messaging_message_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False)
                | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="messaging_message_sent_at_matches_status",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.get_channel_display().lower()} ({self.status})"
