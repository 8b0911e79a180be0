from django import forms

from audit.models import AuditEntry
from core.forms import FilterDateField


class AuditFilterForm(forms.Form):
    patient = forms.UUIDField(
        required=False,
        label="Patient code",
        error_messages={"invalid": "Enter a patient code (the UUID in the chart's address)."},
    )
    user = forms.CharField(required=False, max_length=150, label="Username")
    event = forms.ChoiceField(
        required=False, choices=[("", "Any")] + list(AuditEntry.Event.choices), label="Event"
    )
    date_from = FilterDateField(label="From")
    date_to = FilterDateField(label="To")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-select" if name == "event" else "form-control"
            invalid = " is-invalid" if self.is_bound and name in self.errors else ""
            field.widget.attrs["class"] = f"{css} form-control-sm{invalid}".replace(
                "form-select form-control-sm", "form-select form-select-sm"
            )
