"""What changed on a record since a version, read back from the audit trail."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist

from audit.models import AuditEntry
from core.concurrency import EditConflict

# Bookkeeping fields: never shown as a change.
QUIET_FIELDS = {"version", "updated_at", "updated_by"}
# At most this many entries are read back (a conflict spans a few saves at most).
LOOKBACK = 50


@dataclass(frozen=True)
class Change:
    name: str  # the field's name
    field: str  # its label
    before: str  # shortened for the page
    after: str
    by: str
    at: datetime
    raw_before: object = None  # as recorded: the value at the version the form had


def changes_since(obj, version: int, fields) -> list[Change]:
    """Changes to `fields` of `obj` saved after it was at `version`, oldest first.

    Each edit bumps the record's `version`; the entries written with it (its
    many-to-many relations) follow it. So, reading back from the newest, entries
    belong to the next bump seen, and reading stops at the bump from before
    `version`.
    """
    entries = list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj),
            object_pk=str(obj.pk),
            event=AuditEntry.Event.UPDATE,
        )
        .select_related("actor")
        .order_by("-timestamp", "-id")[:LOOKBACK]
    )
    later, pending = [], []
    for entry in entries:
        bump = (entry.changes or {}).get("version")
        if not bump:
            pending.append(entry)
            continue
        old = _as_int(bump[0])
        if old is None or old < version:
            break
        later += [*pending, entry]
        pending = []
    fields = set(fields) - QUIET_FIELDS
    changes = []
    for entry in reversed(later):
        who = str(entry.actor) if entry.actor else "the patient, through the online intake"
        for name, before, after in entry.change_rows:
            if name not in fields:
                continue
            raw = entry.changes[name]
            raw_before = raw[0] if isinstance(raw, list | tuple) and len(raw) == 2 else None
            changes.append(
                Change(name, _label(obj, name), before, after, who, entry.timestamp, raw_before)
            )
    return changes


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _label(obj, name: str) -> str:
    try:
        return str(obj._meta.get_field(name).verbose_name).capitalize()
    except FieldDoesNotExist:  # a field since removed keeps its raw name
        return name


def check_version(locked, expected: int, fields) -> None:
    """Raise EditConflict unless `locked` (a row locked for update) is at `expected`.

    The conflict lists the changes made since to `fields` (the form's), read back
    from the trail, so the editor sees who changed what.
    """
    if locked.version != expected:
        raise EditConflict(locked.version, changes_since(locked, expected, fields))
