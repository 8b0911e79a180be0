"""The audit trail: one table for reads, changes, logins and refusals.

django-auditlog writes the creates, updates and deletes of the registered models
(audit/registry.py), with the fields changed. The app adds the rest explicitly
(audit/trail.py): reads of clinical records, logins and logouts, failed logins,
lockouts and refused requests. Entries are never edited or deleted by the app.
"""

from auditlog.models import AbstractLogEntry
from django.conf import settings
from django.db import models
from django.utils import timezone

from core.logs import redact


class AuditEntry(AbstractLogEntry):
    class Event(models.TextChoices):
        READ = "read", "Read"
        EXPORT = "export", "Export"
        CREATE = "create", "Create"
        UPDATE = "update", "Change"
        DELETE = "delete", "Delete"
        LOGIN = "login", "Login"
        LOGOUT = "logout", "Logout"
        LOGIN_FAILED = "login_failed", "Failed login"
        LOCKED_OUT = "locked_out", "Locked out"
        OTP_FAILED = "otp_failed", "Wrong two-factor code"
        DENIED = "denied", "Refused (403)"
        LISTED = "listed", "Shown in a list"
        CREDENTIALS_RESET = "credentials_reset", "Login reset by an admin"
        # A message to a patient left the clinic (messaging: who, what kind, how).
        MESSAGE_SENT = "message_sent", "Message sent"

    ACTION_EVENTS = {
        AbstractLogEntry.Action.CREATE: Event.CREATE,
        AbstractLogEntry.Action.UPDATE: Event.UPDATE,
        AbstractLogEntry.Action.DELETE: Event.DELETE,
        AbstractLogEntry.Action.ACCESS: Event.READ,
    }

    # Logins and refusals concern no object.
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="content type",
    )
    # As django-auditlog has them, without an index of their own: the trail's
    # indexes (Meta.indexes) start with them, in the order the trail page reads.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
        db_index=False,
        related_name="+",
        verbose_name="actor",
    )
    timestamp = models.DateTimeField(default=timezone.now, db_index=False, verbose_name="timestamp")
    event = models.CharField(max_length=20, choices=Event.choices)
    # The patient whose record it is. No database constraint: the trail outlives
    # anything it mentions, and a restore loads it in any order.
    # Its lookups use audit_patient_time_id (Meta.indexes), which starts with it.
    patient = models.ForeignKey(
        "intake.Patient",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # The username as typed, for failed logins (no user to point at).
    username = models.CharField(max_length=150, blank=True)
    # The path only, never the query string (which may hold search terms), and
    # never a link's token (redacted on save).
    path = models.CharField(max_length=300, blank=True)

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        # The trail page (audit.selectors.audit_page) reads a page newest first by
        # (timestamp, id), from a row: one index per filter, the filter's column
        # first, so that each page is a short range of one index, never a sort.
        indexes = [
            models.Index(fields=["-timestamp", "-id"], name="audit_time_id"),
            models.Index(fields=["patient", "-timestamp", "-id"], name="audit_patient_time_id"),
            models.Index(fields=["actor", "-timestamp", "-id"], name="audit_actor_time_id"),
            # The user filter's entries typed with that username (audit_lists).
            models.Index(fields=["username", "-timestamp", "-id"], name="audit_username_time_id"),
            models.Index(fields=["event", "-timestamp", "-id"], name="audit_event_time_id"),
        ]

    CHANGE_SHOWN = 80

    @property
    def change_rows(self) -> list[tuple[str, str, str]]:
        """(field, before, after) for each field changed, shortened for a table."""
        if not isinstance(self.changes, dict):
            return []
        rows = []
        for field, change in self.changes.items():
            if isinstance(change, dict):  # many-to-many: {"operation": ..., "objects": [...]}
                before, after = change.get("operation", ""), ", ".join(change.get("objects", []))
            elif isinstance(change, list | tuple) and len(change) == 2:
                before, after = change
            else:
                before, after = "", change
            rows.append((field, self._short(before), self._short(after)))
        return rows

    @classmethod
    def _short(cls, value) -> str:
        text = "" if value is None else str(value)
        return text if len(text) <= cls.CHANGE_SHOWN else text[: cls.CHANGE_SHOWN - 1] + "…"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Audit entries are never changed.")
        self.normalise()
        super().save(*args, **kwargs)

    def normalise(self) -> None:
        """What every entry gets before it is written, whoever writes it."""
        if not self.event:
            self.event = self.ACTION_EVENTS.get(self.action, self.Event.READ)
        # Whoever wrote the entry, a link's token never enters the trail.
        self.path = redact(self.path or "")[: self._meta.get_field("path").max_length]
        if not self.username and self.actor is not None:
            self.username = self.actor.username
        extra = self.additional_data if isinstance(self.additional_data, dict) else None
        if extra and "patient_id" in extra:
            if self.patient_id is None:
                self.patient_id = extra["patient_id"]
            rest = {key: value for key, value in extra.items() if key != "patient_id"}
            self.additional_data = rest or None

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are never deleted.")
