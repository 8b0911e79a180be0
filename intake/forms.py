import datetime
import hashlib

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.utils import timezone

from core.concurrency import VersionedFormMixin
from core.forms import ReasonForm
from intake.duplicates import email_key, name_key, phone_key
from intake.models import Patient, ReminderChannel
from intake.phone import normalise_phone

OLDEST_AGE_YEARS = 120


def oldest_birth_date(today: datetime.date) -> datetime.date:
    try:
        return today.replace(year=today.year - OLDEST_AGE_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - OLDEST_AGE_YEARS, day=28)


class DemographicsValidation:
    """Checks shared by the staff's patient form and the patient's own "About you" step.

    Each applies only to the fields the form has; the messages suit the reader.
    """

    future_birth_message = "Date of birth cannot be in the future."
    too_old_message = (
        f"Date of birth would make the patient over {OLDEST_AGE_YEARS}: check the year."
    )
    emergency_name_message = "Add the emergency contact's name to go with the phone."
    reminder_email_message = "Email reminders need an email address: add it, or choose another way."
    reminder_phone_message = "Text reminders need a phone number: add it, or choose another way."

    def limit_date_of_birth(self):
        if "date_of_birth" not in self.fields:
            return
        today = timezone.localdate()
        dob = self.fields["date_of_birth"]
        dob.input_formats = ["%Y-%m-%d"]
        dob.widget.attrs.update(
            {"max": today.isoformat(), "min": oldest_birth_date(today).isoformat()}
        )

    def clean_date_of_birth(self):
        dob = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if dob > today:
            raise forms.ValidationError(self.future_birth_message, code="future")
        if dob < oldest_birth_date(today):
            raise forms.ValidationError(self.too_old_message, code="too_old")
        return dob

    def clean_phone(self):
        value = self.cleaned_data["phone"]
        return normalise_phone(value) if value else ""

    def clean_emergency_contact_phone(self):
        value = self.cleaned_data["emergency_contact_phone"]
        return normalise_phone(value) if value else ""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("emergency_contact_phone") and not cleaned.get("emergency_contact_name"):
            self.add_error("emergency_contact_name", self.emergency_name_message)
        self.check_reminder_channel(cleaned)
        return cleaned

    def check_reminder_channel(self, cleaned: dict) -> None:
        """Reminders by email need an email address, by text message a phone number
        (one typed with a mistake has its own error already)."""
        channel = cleaned.get("reminder_channel")
        if channel == ReminderChannel.EMAIL and not cleaned.get("email"):
            if "email" not in self.errors:
                self.add_error("reminder_channel", self.reminder_email_message)
        elif channel == ReminderChannel.SMS and not cleaned.get("phone"):
            if "phone" not in self.errors:
                self.add_error("reminder_channel", self.reminder_phone_message)


class PatientForm(DemographicsValidation, forms.ModelForm):
    """Demographics, as the front desk types them."""

    class Meta:
        model = Patient
        fields = [
            "first_name",
            "last_name",
            "preferred_name",
            "date_of_birth",
            "sex",
            "phone",
            "email",
            "address",
            "emergency_contact_name",
            "emergency_contact_relationship",
            "emergency_contact_phone",
        ]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
            "emergency_contact_phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
            "address": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "phone": "Phone",
            "emergency_contact_name": "Name",
            "emergency_contact_relationship": "Relationship to patient",
            "emergency_contact_phone": "Phone",
        }
        help_texts = {
            "phone": "e.g. (415) 555-0123; start with + and the country code for a number abroad.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_date_of_birth()
        self.fields["sex"].choices = [("", "Choose…"), *Patient.Sex.choices]
        for field in self.fields.values():
            # The front desk types other people's details: the browser's own
            # autofill would offer the receptionist's address.
            field.widget.attrs.setdefault("autocomplete", "off")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                "Patient",
                Row(
                    Column("first_name", css_class="col-md-4"),
                    Column("last_name", css_class="col-md-4"),
                    Column("preferred_name", css_class="col-md-4"),
                ),
                Row(
                    Column("date_of_birth", css_class="col-md-4"),
                    Column("sex", css_class="col-md-4"),
                ),
            ),
            Fieldset(
                "Contact",
                Row(Column("phone", css_class="col-md-4"), Column("email", css_class="col-md-8")),
                "address",
            ),
            Fieldset(
                "Emergency contact",
                Row(
                    Column("emergency_contact_name", css_class="col-md-4"),
                    Column("emergency_contact_relationship", css_class="col-md-4"),
                    Column("emergency_contact_phone", css_class="col-md-4"),
                ),
            ),
        )

    def duplicate_key(self) -> str:
        """Fingerprint of what the duplicate guard compares: the names, date of birth,
        phone and email (intake.duplicates).

        "Register anyway" sends it back, so a confirmation that a matching chart is
        a different person holds only for exactly those details.
        """
        data = self.cleaned_data
        text = "|".join(
            [
                name_key(data["first_name"]),
                name_key(data["last_name"]),
                data["date_of_birth"].isoformat(),
                phone_key(data.get("phone") or ""),
                email_key(data.get("email") or ""),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class PatientEditForm(VersionedFormMixin, PatientForm):
    """Demographics of an existing chart, with the version they were opened at, and
    how the patient wants appointment reminders."""

    class Meta(PatientForm.Meta):
        fields = [*PatientForm.Meta.fields, "reminder_channel"]
        widgets = {**PatientForm.Meta.widgets, "reminder_channel": forms.RadioSelect}
        labels = {**PatientForm.Meta.labels, "reminder_channel": "Appointment reminders"}
        help_texts = {
            **PatientForm.Meta.help_texts,
            "reminder_channel": "As the patient asked. Changing it records who changed it and "
            "when. Reminders never say anything about the patient's health.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reminder_channel"].error_messages.update(
            {
                "required": "Choose how the patient wants reminders (or none).",
                "invalid_choice": "Choose email, text message or no reminders.",
            }
        )
        self.helper.layout[1].append("reminder_channel")
        self.helper.layout.append("version")


def archive_form(data=None) -> ReasonForm:
    return ReasonForm(
        data,
        label="Reason (optional)",
        help_text="e.g. moved away, duplicate chart, treatment finished",
    )


def discard_form(data=None) -> ReasonForm:
    """Setting a self-registration aside."""
    return ReasonForm(
        data, label="Reason (optional)", help_text="e.g. a test, sent twice, not a patient"
    )


class PatientSearchForm(forms.Form):
    q = forms.CharField(max_length=200, required=False, label="Search")
    status = forms.ChoiceField(
        choices=[("active", "Active"), ("archived", "Archived"), ("all", "All")],
        required=False,
    )
