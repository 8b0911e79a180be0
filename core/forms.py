"""Form pieces every app's forms use."""

import datetime

from django import forms


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
