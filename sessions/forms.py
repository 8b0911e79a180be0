"""The session form and its parts: what an acupuncturist types at a visit.

Every check runs on the server and reports next to its field. The safety rules of
docs/clinical-rules.md section 5 run in SessionForm.clean against the patient's intake.
"""

import uuid

from django import forms
from django.utils import timezone

from core.forms import ReasonForm, number_messages, text_messages
from intake.region_fields import cleaned_marks, initial_for, region_rows, side_fields
from intake.vocabulary import BodyRegion
from sessions import points as point_codes
from sessions.models import NOTE_FIELDS, NUMBER_RANGES, TEXT_MAX, Protocol, TreatmentSession
from sessions.safety import Finding, check_session, refusals, to_acknowledge
from sessions.selectors import SessionContext
from sessions.vocabulary import AdverseEventType, Causality, Modality, Severity

MAX_POINTS_TEXT = 1000
# regions_treated_side_<region>: the side treated, for a region that has two.
REGIONS_SIDE_PREFIX = "regions_treated_side_"


def regions_initial(marks) -> dict:
    """The session form's initial regions treated, with their sides."""
    return initial_for(marks, regions_field="regions_treated", prefix=REGIONS_SIDE_PREFIX)


class PointsField(forms.CharField):
    """Point codes as typed ("GB20 L, UB-23, li4"), cleaned to NeedledPoints."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_POINTS_TEXT)
        kwargs.setdefault("error_messages", text_messages(MAX_POINTS_TEXT))
        super().__init__(**kwargs)

    def clean(self, value):
        # The text as typed is checked first (required, length, odd characters).
        parsed = point_codes.parse_points(super().clean(value))
        if not parsed.ok:
            raise forms.ValidationError(parsed.errors(), code="unknown_point")
        if len(parsed.points) > point_codes.MAX_POINTS:
            raise forms.ValidationError(
                f"At most {point_codes.MAX_POINTS} points in one session.", code="too_many"
            )
        return parsed.points

    def prepare_value(self, value):
        if isinstance(value, tuple | list):
            return point_codes.format_points(value)
        return value


def points_widget() -> forms.Textarea:
    """The points field: plain text that wraps, so a phone shows the whole list, and
    grows with it (core/static/js/app.js). Without JavaScript it is a two-line text box."""
    return forms.Textarea(
        attrs={
            "rows": 2,
            "autocomplete": "off",
            "spellcheck": "false",
            "autocapitalize": "characters",
            "data-point-completion": "",
            "data-auto-grow": "",
        }
    )


class SessionForm(forms.ModelForm):
    points = PointsField(
        required=False,
        help_text="WHO codes or extra points' names, separated by commas; a side after "
        "the point: GB20 L, BL23, Taiyang R, Jiaji L4. Bilateral unless a side is given.",
        widget=points_widget(),
    )
    modalities = forms.MultipleChoiceField(
        choices=Modality.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose modalities from the list."},
    )
    regions_treated = forms.MultipleChoiceField(
        label="Regions treated",
        choices=BodyRegion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": "Choose regions from the list."},
    )
    form_token = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # The visit a new session is started from ("Start session" on the day's list);
    # sessions.services.session_save checks it may be.
    appointment = forms.UUIDField(
        label="Visit",
        required=False,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": "This visit was not found. Start the session from the day's list on "
            "your dashboard."
        },
    )
    safety_acknowledged = forms.BooleanField(
        required=False,
        label="I have read the safety warnings above and will take them into account.",
    )

    class Meta:
        model = TreatmentSession
        # modalities and regions_treated are form fields of their own (JSON lists on
        # the model).
        fields = [name for name in NOTE_FIELDS if name not in ("modalities", "regions_treated")]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "subjective": forms.Textarea(attrs={"rows": 3}),
            "objective": forms.Textarea(attrs={"rows": 3}),
            "range_of_motion": forms.Textarea(attrs={"rows": 2}),
            "assessment": forms.Textarea(attrs={"rows": 2}),
            "plan_notes": forms.Textarea(attrs={"rows": 2}),
            "needle_count_explanation": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "pain_before": "Pain before treatment (0-10)",
            "pain_after": "Pain after treatment (0-10)",
            "ea_frequency_hz": "Frequency (Hz)",
            "ea_intensity": "Intensity",
            "needles_inserted": "Needles inserted",
            "needles_removed": "Needles removed",
            "needle_count_explanation": "Needle count discrepancy: what happened",
            "retention_minutes": "Retention (minutes)",
            "position": "Patient position",
            "subjective": "Subjective",
            "objective": "Objective",
            "range_of_motion": "Range of motion",
            "assessment": "Assessment",
            "plan_notes": "Plan",
            "pain_medication_doses": "Pain medication doses, last 7 days",
            "headache_days": "Headache days, last 30 days",
        }
        help_texts = {
            "pain_before": "Numeric rating scale as the patient arrives.",
            "pain_after": "May be left empty until the needles are out; needed to sign.",
            "needles_removed": "Count them out; needed to sign.",
            "needle_count_explanation": "Required to sign when the counts differ.",
            "subjective": "Patient's report since the last visit.",
            "objective": "Findings: palpation, posture, tests.",
            "range_of_motion": "e.g. cervical rotation L 70°, R 45° with pain at end range.",
            "pain_medication_doses": "Doses of painkillers taken since about a week ago.",
        }

    def __init__(self, *args, context: SessionContext, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.context = context
        self.patient = patient
        self.findings: list[Finding] = []
        # Warnings this draft's author already accepted need no new tick.
        self.already_acknowledged = (
            set(self.instance.safety_acknowledgements.values_list("rule", "warning"))
            if self.instance.pk is not None
            else set()
        )
        if not context.has_headaches:
            del self.fields["headache_days"]
        self.fields["pain_before"].required = True
        self.fields["pain_before"].error_messages["required"] = "Enter the pain before (0-10)."
        self.fields["date"].error_messages["required"] = "Enter the date of the visit."
        self.fields["ea_intensity"].choices = [
            ("", "Choose…"),
            *self.fields["ea_intensity"].choices[1:],
        ]
        self.fields["position"].choices = [("", "Choose…"), *self.fields["position"].choices[1:]]
        for name, field in self.fields.items():
            if name in NUMBER_RANGES:
                low, high = NUMBER_RANGES[name]
                field.min_value, field.max_value = low, high
                field.widget.attrs.update(min=low, max=high, inputmode="numeric")
                field.error_messages.update(number_messages(low, high, when_missing=False))
            elif isinstance(field, forms.CharField) and name != "points":
                field.error_messages.update(text_messages(field.max_length or TEXT_MAX))
        # Each region treated that has two sides: which side (regions_treated_side_legs).
        sides = side_fields(
            REGIONS_SIDE_PREFIX,
            label="{region}: side treated",
            message="Choose left side, right side or both sides.",
        )
        fields = {}
        for name, field in self.fields.items():
            fields[name] = field
            if name == "regions_treated":
                fields.update(sides)
        self.fields = fields
        if self.instance.pk is not None and not self.is_bound:
            self.initial["points"] = self.instance.point_list()
            self.initial["modalities"] = self.instance.modalities
            self.initial.update(regions_initial(self.instance.regions_treated_marks()))
        if self.instance.pk is None and not self.is_bound:
            self.initial["form_token"] = uuid.uuid4()
        if self.instance.pk is not None:
            # A draft keeps the visit it was started from.
            del self.fields["appointment"]

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError("The visit date cannot be in the future.")
        if date < self.patient.date_of_birth:
            raise forms.ValidationError("The visit date is before the patient was born.")
        return date

    def region_rows(self):
        """Each region's checkbox and side, for the template."""
        return region_rows(self, "regions_treated", prefix=REGIONS_SIDE_PREFIX)

    def clean(self):
        cleaned = super().clean()
        if "regions_treated" in cleaned:
            cleaned["regions_treated"] = cleaned_marks(
                cleaned, cleaned["regions_treated"], prefix=REGIONS_SIDE_PREFIX
            )
        modalities = cleaned.get("modalities") or []
        if Modality.ELECTROACUPUNCTURE in modalities:
            if cleaned.get("ea_frequency_hz") is None and "ea_frequency_hz" not in self.errors:
                self.add_error("ea_frequency_hz", "Enter the electroacupuncture frequency.")
            if not cleaned.get("ea_intensity") and "ea_intensity" not in self.errors:
                self.add_error("ea_intensity", "Choose the electroacupuncture intensity.")
        else:
            cleaned["ea_frequency_hz"] = None
            cleaned["ea_intensity"] = ""
        if "points" in cleaned and "modalities" in cleaned:
            self.findings = check_session(self.context.screening, cleaned["points"], modalities)
            for finding in refusals(self.findings):
                self.add_error("modalities", finding.message)
            if self.to_acknowledge() and not cleaned.get("safety_acknowledged"):
                self.add_error(
                    "safety_acknowledged",
                    "Tick to confirm you have read the safety warnings before saving.",
                )
        return cleaned

    def to_acknowledge(self) -> list[Finding]:
        """The warnings that need the tick: those not accepted on an earlier save."""
        return [
            finding
            for finding in to_acknowledge(self.findings)
            if (str(finding.rule), finding.message) not in self.already_acknowledged
        ]


class AdverseEventForm(forms.Form):
    kind = forms.ChoiceField(
        label="Type", choices=[("", "Choose…"), *AdverseEventType.choices], required=False
    )
    severity = forms.ChoiceField(choices=[("", "Choose…"), *Severity.choices], required=False)
    causality = forms.ChoiceField(
        label="Causality (WHO-UMC)", choices=[("", "Choose…"), *Causality.choices], required=False
    )
    action_taken = forms.CharField(
        max_length=500, required=False, error_messages=text_messages(500)
    )
    notes = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=text_messages(2000),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("DELETE"):
            return cleaned
        started = any(
            cleaned.get(name) for name in ("kind", "severity", "causality", "action_taken", "notes")
        )
        if started:
            for name, message in (
                ("kind", "Choose the type of adverse event."),
                ("severity", "Choose the severity."),
                ("causality", "Choose the causality."),
            ):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, message)
        return cleaned

    @property
    def is_filled(self) -> bool:
        return bool(self.cleaned_data.get("kind")) and not self.cleaned_data.get("DELETE")


class BaseAdverseEventFormSet(forms.BaseFormSet):
    default_error_messages = {
        "missing_management_form": "This form was incomplete. Reload the page and try again.",
        "too_many_forms": "At most %(num)d adverse events in one session.",
    }

    def rows(self) -> list[dict]:
        fields = ("kind", "severity", "causality", "action_taken", "notes")
        return [
            {name: form.cleaned_data[name] for name in fields}
            for form in self.forms
            if form.is_filled
        ]


MAX_ADVERSE_EVENTS = 20
ADVERSE_EVENTS_PREFIX = "adverse_events"
AdverseEventFormSet = forms.formset_factory(
    AdverseEventForm,
    formset=BaseAdverseEventFormSet,
    extra=0,
    can_delete=True,
    max_num=MAX_ADVERSE_EVENTS,
    validate_max=True,
    absolute_max=MAX_ADVERSE_EVENTS,
)


def adverse_event_formset(data=None, *, initial=None, extra_row=False):
    formset = AdverseEventFormSet(data, initial=initial or [], prefix=ADVERSE_EVENTS_PREFIX)
    if extra_row and formset.total_form_count() < MAX_ADVERSE_EVENTS:
        # "Add an adverse event": the same rows again, and one more, nothing lost.
        data = data.copy()
        total = f"{ADVERSE_EVENTS_PREFIX}-TOTAL_FORMS"
        data[total] = str(formset.total_form_count() + 1)
        formset = AdverseEventFormSet(data, initial=initial or [], prefix=ADVERSE_EVENTS_PREFIX)
    for form in formset.forms:
        form.fields["DELETE"].label = "Remove this adverse event"
    return formset


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A correction or addition. The signed note stays as it was.",
        error_messages={"required": "Write the addendum first.", **text_messages(TEXT_MAX)},
    )


def discard_form(data=None) -> ReasonForm:
    """Setting a draft aside (logged in error): a reason is needed."""
    return ReasonForm(
        data,
        label="Why is this draft discarded?",
        help_text="e.g. logged on the wrong patient's chart. The draft is kept, marked discarded.",
        required=True,
    )


class ProtocolForm(forms.ModelForm):
    points = PointsField(
        required=True,
        help_text="WHO codes or extra points' names, separated by commas; a side after the "
        "point: GB20 L, BL23, Yintang, Jiaji L3-L5.",
        widget=points_widget(),
        error_messages={"required": "List at least one point."},
    )

    class Meta:
        model = Protocol
        fields = ["name", "description", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        labels = {"is_active": "Offer this protocol on the session form"}
        help_texts = {"name": "e.g. Neck tension headache"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            self.initial["points"] = self.instance.points
        self.fields["name"].error_messages.update(text_messages(100))
        self.fields["description"].error_messages.update(text_messages(2000))
