"""The outcomes page's filters, read from the query string."""

from django import forms
from django.db.models import Exists, OuterRef, Q

from accounts.models import User
from accounts.selectors import practitioners
from core.forms import FilterDateField
from intake.vocabulary import PainType
from plans.models import Plan
from progress.outcomes import Filters

DATE_MESSAGES = {"invalid": "Enter a date as YYYY-MM-DD."}


def practitioner_choices():
    """Those who can be booked, and anyone who held a plan (a practitioner who left
    still has outcomes)."""
    return User.objects.filter(
        Q(pk__in=practitioners().values("pk"))
        | Q(Exists(Plan.objects.filter(practitioner=OuterRef("pk"))))
    ).order_by("first_name", "last_name", "username")


class OutcomesFilterForm(forms.Form):
    practitioner = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="All practitioners",
        error_messages={"invalid_choice": "Choose a practitioner from the list."},
    )
    date_from = FilterDateField(label="From", error_messages=DATE_MESSAGES)
    date_to = FilterDateField(label="To", error_messages=DATE_MESSAGES)
    pain_type = forms.ChoiceField(
        label="Pain type",
        required=False,
        choices=[("", "All pain types"), *PainType.choices],
        error_messages={"invalid_choice": "Choose a pain type from the list."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioner_choices()

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filters(self) -> Filters:
        """The valid form's filters."""
        data = self.cleaned_data
        practitioner = data.get("practitioner")
        return Filters(
            practitioner_id=practitioner.pk if practitioner else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            pain_type=data.get("pain_type") or "",
        )
