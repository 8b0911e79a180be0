"""Optimistic locking: an edit form carries the version it was opened at.

Saving locks the row and compares versions. When someone else saved in between,
nothing is written: the editor sees who changed what (from the audit trail) with
their own typing kept, and can save again on purpose.
"""

from dataclasses import dataclass, field

from django import forms


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


def check_version(locked, expected: int, fields) -> None:
    """Raise EditConflict unless `locked` (a row locked for update) is at `expected`.

    The conflict lists the changes made since to `fields` (the form's).
    """
    from audit.history import changes_since

    if locked.version != expected:
        raise EditConflict(locked.version, changes_since(locked, expected, fields))


def rebind_at(form_class, data, version: int, **kwargs):
    """The same form with the user's typing, now at `version` (a second save wins)."""
    data = data.copy()
    data["version"] = str(version)
    return form_class(data, **kwargs)
