"""Concurrency helpers: optimistic locking of edit forms, and named locks.

Optimistic locking: an edit form carries the version it was opened at. Saving
locks the row and compares versions. When someone else saved in between, nothing
is written: the editor sees who changed what (from the audit trail) with their own
typing kept, and can save again on purpose.
"""

import hashlib
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db import connection


def hold_lock(name: str) -> None:
    """Take the lock called `name` until the current transaction ends.

    For a check that reads before it writes where there is no row to lock yet (is
    there already a chart for this person?): two transactions that take the same
    lock run the check and the write one after the other. PostgreSQL: a
    transaction-level advisory lock. SQLite: every transaction already holds the
    database's write lock from its start (transaction_mode IMMEDIATE, see settings).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("hold_lock() needs a transaction: the lock lasts until it ends.")
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
    elif connection.vendor == "sqlite" and connection.transaction_mode != "IMMEDIATE":
        raise ImproperlyConfigured(
            "SQLite must begin transactions IMMEDIATE (OPTIONS transaction_mode) for "
            "checks and writes to run one at a time."
        )


@dataclass
class EditConflict(Exception):
    """The record was saved by someone else after this form was opened."""

    current_version: int
    changes: list = field(default_factory=list)  # audit.history.Change

    def __str__(self):
        return "The record was changed by someone else while this form was open."


class VersionField(forms.IntegerField):
    """The hidden version of the record the form was opened at."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("label", "Form version")
        kwargs.setdefault(
            "error_messages",
            {
                "required": "This form is out of date. Open the record again and redo the change.",
                "invalid": "This form is out of date. Open the record again and redo the change.",
                "min_value": "This form is out of date. Open the record again and redo the change.",
            },
        )
        super().__init__(**kwargs)


class VersionedFormMixin:
    """For a ModelForm of a record with a `version`: the form carries the version the
    record was at when it was opened, and saving compares it (check_version)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"] = VersionField()
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version


def rebind_after_conflict(form, conflict: EditConflict, data):
    """The edit form again after `conflict`, on the record reloaded from the database,
    ready for a deliberate second save (see rebind_at), its typing checked again so
    the page shows it as typed."""
    instance = form.instance
    instance.refresh_from_db()
    form = rebind_at(type(form), data, conflict, submitted=form.cleaned_data, instance=instance)
    form.is_valid()
    return form


def rebind_at(form_class, data, conflict: EditConflict, *, submitted: dict, **kwargs):
    """The form again, at the record's current version, for a deliberate second save.

    A field the other person changed and this user left as it was now shows their
    value, so saving again keeps their change; a field both changed keeps this
    user's typing. `submitted` is the user's cleaned data, `kwargs` the form's
    (the instance, reloaded from the database).
    """
    data = data.copy()
    stored = form_class(**kwargs)  # unbound: the record as it is now
    for name in untouched_by_user(conflict, submitted):
        value = stored[name].value()
        if isinstance(value, list | tuple):
            data.setlist(name, [str(item) for item in value])
        else:
            data[name] = "" if value is None else str(value)
    data["version"] = str(conflict.current_version)
    return form_class(data, **kwargs)


def untouched_by_user(conflict: EditConflict, submitted: dict) -> set[str]:
    """Fields the others changed where the user sent the value the form opened with."""
    first_before = {}
    for change in conflict.changes:
        first_before.setdefault(change.name, change.raw_before)
    return {
        name
        for name, before in first_before.items()
        if name in submitted and _as_text(submitted[name]) == _as_text(before)
    }


def _as_text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
