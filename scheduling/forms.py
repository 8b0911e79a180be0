import datetime

from django import forms
from django.utils import timezone

from accounts.selectors import practitioners
from scheduling.models import Appointment


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
            if day > timezone.localdate() + datetime.timedelta(days=366):
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
