import datetime

from django import forms
from django.utils import timezone

from accounts.selectors import practitioners
from core.forms import FilterDateField, ReasonForm
from scheduling.models import Appointment

# How far ahead a visit can be booked.
BOOKING_HORIZON = datetime.timedelta(days=366)


class AppointmentForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 300})
    )
    practitioner = forms.ModelChoiceField(queryset=None)
    length_minutes = forms.TypedChoiceField(
        label="Length", choices=Appointment.LENGTH_CHOICES, coerce=int, initial=45
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners()

    def clean(self):
        data = super().clean()
        day, time = data.get("date"), data.get("time")
        if day is not None and time is not None:
            if day > timezone.localdate() + BOOKING_HORIZON:
                self.add_error("date", "Book within the next year.")
            else:
                data["starts_at"] = timezone.make_aware(datetime.datetime.combine(day, time))
        return data


class AppointmentStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (Appointment.Status.ATTENDED, "Attended"),
            (Appointment.Status.CANCELLED, "Cancelled"),
            (Appointment.Status.NO_SHOW, "No-show"),
        ]
    )
    reason = forms.CharField(max_length=200, required=False)


def cancel_form(data=None) -> ReasonForm:
    """Why a visit is cancelled: kept with the visit (the patient's notice does not
    repeat it)."""
    return ReasonForm(
        data,
        label="Reason",
        help_text="e.g. the patient is unwell, the practitioner is away",
        required=True,
    )


PRACTITIONER_MESSAGES = {
    "invalid_choice": "Choose a practitioner from the list.",
    "required": "Choose a practitioner.",
}
DATE_MESSAGES = {"invalid": "Enter a date as YYYY-MM-DD.", "required": "Enter a date."}


class ScheduleFilterForm(forms.Form):
    """The schedule's day (or week), and whose: read from the query string."""

    DAY, WEEK = "day", "week"

    date = FilterDateField(label="Date", error_messages=DATE_MESSAGES)
    view = forms.ChoiceField(
        label="Show",
        choices=[(DAY, "Day"), (WEEK, "Week")],
        required=False,
        error_messages={"invalid_choice": "Choose a day or a week."},
    )
    practitioner = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Everyone", error_messages=PRACTITIONER_MESSAGES
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners()

    def clean(self):
        data = super().clean()
        if data.get("view") == self.WEEK and not data.get("practitioner"):
            if "practitioner" not in self.errors:
                self.add_error("practitioner", "Choose a practitioner to see their week.")
        return data


class SlotForm(forms.Form):
    """A free time chosen on the schedule (its link's query string), and the
    search for the patient to book into it."""

    practitioner = forms.ModelChoiceField(queryset=None, error_messages=PRACTITIONER_MESSAGES)
    date = FilterDateField(required=True, error_messages=DATE_MESSAGES)
    time = forms.TimeField(
        error_messages={"invalid": "Enter a time as HH:MM.", "required": "Enter a time."}
    )
    q = forms.CharField(
        label="Find the patient",
        max_length=200,
        required=False,
        # The page is for this search: the cursor starts in it.
        widget=forms.TextInput(attrs={"autofocus": True, "type": "search"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners()
