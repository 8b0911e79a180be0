"""Form pieces every app's forms use."""

import datetime

from django import forms

# Error messages for numbers and text, in the same words on every form: short
# instructions for staff; for patients (to_patient=True), the same said politely.


def number_messages(
    low: int, high: int, *, to_patient: bool = False, message: str = "", when_missing: bool = True
) -> dict:
    """Every error of a whole-number field says what to type (when_missing=False
    leaves the field's own message for an empty answer)."""
    verb = "Please type" if to_patient else "Enter"
    message = message or f"{verb} a whole number from {low} to {high}."
    messages = {"invalid": message, "min_value": message, "max_value": message}
    return {"required": message, **messages} if when_missing else messages


def text_messages(max_length: int, *, to_patient: bool = False) -> dict:
    please = "Please " if to_patient else ""
    keep, remove = ("keep", "remove") if to_patient else ("Keep", "Remove")
    return {
        "max_length": f"{please}{keep} this to {max_length} characters or fewer.",
        "null_characters_not_allowed": f"{please}{remove} the unusual characters.",
    }


class FilterDateField(forms.DateField):
    """A date typed into a list's filter: a real calendar date the clinic's records
    could hold, or a plain message next to the field (never an overflow further on,
    as with 9999-12-31 plus a day)."""

    EARLIEST = datetime.date(1900, 1, 1)
    LATEST = datetime.date(2199, 12, 31)

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)

    def clean(self, value):
        day = super().clean(value)
        if day is not None and not self.EARLIEST <= day <= self.LATEST:
            raise forms.ValidationError(
                f"Enter a date between {self.EARLIEST.year} and {self.LATEST.year}.",
                code="out_of_range",
            )
        return day


class ReasonForm(forms.Form):
    """Why an action is taken: archiving a chart, setting a self-registration aside,
    discarding a draft. Each caller says how the question reads and whether an
    answer is needed; the reason is kept with the record."""

    MAX_LENGTH = 200

    reason = forms.CharField(max_length=MAX_LENGTH)

    def __init__(self, *args, label: str, help_text: str = "", required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.label = label
        field.help_text = help_text
        field.required = required
        field.error_messages.update(
            {"required": "Give a reason.", **text_messages(self.MAX_LENGTH)}
        )
