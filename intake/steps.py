"""The steps of the patient's online intake: one form per step, in the patient's words.

Every number is checked on the server, with messages a patient understands. The
forms are plain forms: intake.services.intake_save_step stores what they clean.
"""

from dataclasses import dataclass, replace

from django import forms

from core.forms import number_messages, text_messages
from intake.body_map import MarkedRegion
from intake.forms import DemographicsValidation
from intake.models import IDENTITY_FIELDS, SCREENING_QUESTIONS, Intake, Patient, ReminderChannel
from intake.phone import format_phone
from intake.region_fields import cleaned_marks, initial_for, region_rows, side_fields
from intake.vocabulary import HEADACHE_TYPES, Answer, BodyRegion, Cause, Onset, PainType, Trigger

LONG_TEXT = 2000


def whole_number(
    label: str, low: int, high: int, *, required: bool, help_text: str = "", message: str = ""
) -> forms.IntegerField:
    """A number field whose every error says what to type."""
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        required=required,
        help_text=help_text,
        error_messages=number_messages(low, high, to_patient=True, message=message),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input-number"}),
    )


def pain_scale(label: str, *, required: bool = True) -> forms.IntegerField:
    return whole_number(
        label,
        0,
        10,
        required=required,
        help_text="0 means no pain, 10 means the worst pain you can imagine.",
        message="Please choose a number from 0 (no pain) to 10 (worst pain imaginable).",
    )


def text(
    label: str, max_length: int, *, required: bool = False, required_message: str = "", **kwargs
) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        error_messages={
            "required": required_message or "Please fill this in.",
            **text_messages(max_length, to_patient=True),
        },
        **kwargs,
    )


def long_text(label: str, help_text: str = "") -> forms.CharField:
    return text(label, LONG_TEXT, help_text=help_text, widget=forms.Textarea(attrs={"rows": 3}))


class IntakeStepForm(forms.Form):
    """A step's form, filled from and saved to an Intake's fields of the same names."""

    @classmethod
    def initial_from(cls, intake: Intake) -> dict:
        return {name: getattr(intake, name) for name in cls.base_fields if hasattr(intake, name)}

    def answers(self) -> dict:
        return dict(self.cleaned_data)


class AboutYouForm(DemographicsValidation, IntakeStepForm):
    future_birth_message = "Please check your date of birth: it is in the future."
    too_old_message = "Please check the year of your date of birth."
    emergency_name_message = "Please add the name of the person to call in an emergency."
    reminder_email_message = (
        "Please add your email address above, or choose another way to be reminded."
    )
    reminder_phone_message = (
        "Please add your mobile number above, or choose another way to be reminded."
    )

    first_name = text(
        "First name", 100, required=True, required_message="Please enter your first name."
    )
    last_name = text(
        "Last name", 100, required=True, required_message="Please enter your last name."
    )
    preferred_name = text("Name you like to be called (optional)", 100)
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Please enter your date of birth.",
            "invalid": "Please enter your date of birth as year-month-day, e.g. 1980-04-25.",
        },
    )
    sex = forms.ChoiceField(
        label="Sex",
        choices=[("", "Choose…"), *Patient.Sex.choices],
        error_messages={"required": "Please choose an answer (you may prefer not to say)."},
    )
    phone = text(
        "Mobile phone",
        30,
        required=True,
        required_message="Please give a phone number we can reach you on.",
        help_text="So we can reach you about appointments.",
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label="Email (optional)",
        required=False,
        max_length=254,
        error_messages={"invalid": "Please check your email address, e.g. name@example.com."},
    )
    address = text("Home address (optional)", 500, widget=forms.Textarea(attrs={"rows": 3}))
    reminder_channel = forms.ChoiceField(
        label="How should we remind you of your appointments?",
        choices=[
            (ReminderChannel.EMAIL, "By email, to the address above"),
            (ReminderChannel.SMS, "By text message, to the mobile number above"),
            (ReminderChannel.NONE, "Please don't send me reminders"),
        ],
        widget=forms.RadioSelect,
        help_text="Reminders are about the day and time of your visit. They never say "
        "anything about your health.",
        error_messages={
            "required": "Please choose how we should remind you, or that you'd rather not be "
            "reminded.",
            "invalid_choice": "Please choose one of the ways listed.",
        },
    )
    emergency_contact_name = text("Their name", 200)
    emergency_contact_relationship = text("How they are related to you", 100)
    emergency_contact_phone = text(
        "Their phone", 30, widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"})
    )

    AUTOCOMPLETE = {
        "first_name": "given-name",
        "last_name": "family-name",
        "preferred_name": "nickname",
        "date_of_birth": "bday",
        "sex": "sex",
        "phone": "tel",
        "email": "email",
        "address": "street-address",
        "emergency_contact_name": "off",
        "emergency_contact_relationship": "off",
        "emergency_contact_phone": "off",
        "reminder_channel": "off",
    }

    def __init__(self, *args, identity_editable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not identity_editable:
            # An invited patient's name and date of birth are the chart's; the page
            # shows them and asks the patient to tell the clinic if they are wrong.
            for name in IDENTITY_FIELDS:
                del self.fields[name]
        self.limit_date_of_birth()
        for name, field in self.fields.items():
            field.widget.attrs["autocomplete"] = self.AUTOCOMPLETE[name]

    @classmethod
    def initial_from(cls, intake):
        initial = super().initial_from(intake)
        for name in ("phone", "emergency_contact_phone"):
            initial[name] = format_phone(initial[name])
        return initial


# pain_location_side_<region>: which side hurts, for a region that has two.
SIDE_PREFIX = "pain_location_side_"


class PainForm(IntakeStepForm):
    pain_types = forms.MultipleChoiceField(
        label="What kind of pain do you have?",
        help_text="Tick all that apply.",
        choices=PainType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Please tick at least one kind of pain.",
            "invalid_choice": "Please tick from the list.",
        },
    )
    headache_days = whole_number(
        "On how many of the last 30 days did you have a headache?",
        0,
        30,
        required=False,
        help_text="Only if you have headaches or migraine. Type 0 if none.",
        message="Please type a number of days from 0 to 30.",
    )
    pain_now = pain_scale("How bad is your pain right now?")
    pain_worst = pain_scale("How bad was it at its worst in the last week?")
    pain_locations = forms.MultipleChoiceField(
        label="Where does it hurt?",
        required=False,
        choices=BodyRegion.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": "Please tick from the list."},
    )
    months_with_pain = whole_number(
        "About how many months have you had this pain?",
        0,
        600,
        required=True,
        help_text="Less than a month: type 0. Two years: type 24.",
        message="Please type a number of months from 0 to 600.",
    )
    onset = forms.ChoiceField(
        label="How did it start?",
        required=False,
        choices=Onset.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Please choose from the list."},
    )
    cause = forms.ChoiceField(
        label="What do you think caused it?",
        required=False,
        choices=[("", "Choose…"), *Cause.choices],
        error_messages={"invalid_choice": "Please choose from the list."},
    )
    triggers = forms.MultipleChoiceField(
        label="What makes it worse?",
        help_text="Tick all that apply.",
        required=False,
        choices=Trigger.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Please tick from the list."},
    )
    pain_notes = long_text("Anything else about your pain you'd like us to know? (optional)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Next to each region's checkbox: its side, for a region that has two, and an
        # optional 0-10 score (and in that place in the list of errors).
        sides = side_fields(
            SIDE_PREFIX,
            label="{region}: which side?",
            message="Please choose left side, right side or both sides.",
        )
        scores = {
            self.score_field(region): whole_number(
                f"{label}: how bad (0-10)?",
                0,
                10,
                required=False,
                message="Please choose a number from 0 to 10, or leave it empty.",
            )
            for region, label in BodyRegion.choices
        }
        for name in scores:
            scores[name].widget.attrs.update(
                {"class": "form-control region-score", "placeholder": "0-10"}
            )
        fields = {}
        for name, field in self.fields.items():
            fields[name] = field
            if name == "pain_locations":
                for region in BodyRegion.values:
                    side = f"{SIDE_PREFIX}{region}"
                    if side in sides:
                        fields[side] = sides[side]
                    fields[self.score_field(region)] = scores[self.score_field(region)]
        self.fields = fields

    @staticmethod
    def score_field(region: str) -> str:
        return f"pain_location_score_{region}"

    def region_rows(self):
        """Each region's checkbox, side and score, for the template."""
        return region_rows(self, "pain_locations", prefix=SIDE_PREFIX, score_field=self.score_field)

    @classmethod
    def initial_from(cls, intake):
        initial = super().initial_from(intake)
        regions = list(intake.regions.all())
        initial.update(
            initial_for(
                (r.mark for r in regions), regions_field="pain_locations", prefix=SIDE_PREFIX
            )
        )
        for r in regions:
            initial[cls.score_field(r.region)] = r.score
        return initial

    def clean(self):
        cleaned = super().clean()
        if HEADACHE_TYPES.intersection(cleaned.get("pain_types") or ()):
            if cleaned.get("headache_days") is None and "headache_days" not in self.errors:
                self.add_error(
                    "headache_days",
                    "Please tell us on how many of the last 30 days you had a headache (0 to 30).",
                )
        elif "pain_types" in cleaned:
            cleaned["headache_days"] = None
        return cleaned

    def regions(self) -> list[MarkedRegion]:
        """Ticked regions with their sides and scores; a score given without the tick
        counts as ticked (a side without it does not: its list always sends one)."""
        scores = {
            region: self.cleaned_data.get(self.score_field(region)) for region in BodyRegion.values
        }
        chosen = set(self.cleaned_data["pain_locations"])
        chosen.update(region for region, score in scores.items() if score is not None)
        return [
            replace(mark, score=scores[mark.region])
            for mark in cleaned_marks(self.cleaned_data, chosen, prefix=SIDE_PREFIX)
        ]

    def answers(self):
        return {
            name: self.cleaned_data[name]
            for name in (
                "pain_types",
                "pain_now",
                "pain_worst",
                "months_with_pain",
                "headache_days",
                "onset",
                "cause",
                "triggers",
                "pain_notes",
            )
        }


def activity(n: int) -> forms.CharField:
    return text(
        f"Activity {n}" + ("" if n == 1 else " (optional)"),
        200,
        help_text="e.g. turning my head to drive, sitting through a film, lifting my child"
        if n == 1
        else "",
    )


def activity_score(n: int) -> forms.IntegerField:
    return whole_number(
        f"How well can you do activity {n} today?",
        0,
        10,
        required=False,
        help_text="0 means you can't do it at all; 10 means you can do it as well as before.",
        message="Please choose a number from 0 (can't do it) to 10 (as well as before).",
    )


class DailyLifeForm(IntakeStepForm):
    """Patient-Specific Functional Scale: up to three activities, each rated 0-10."""

    psfs_activity_1 = activity(1)
    psfs_score_1 = activity_score(1)
    psfs_activity_2 = activity(2)
    psfs_score_2 = activity_score(2)
    psfs_activity_3 = activity(3)
    psfs_score_3 = activity_score(3)

    def clean(self):
        cleaned = super().clean()
        for n in (1, 2, 3):
            name, score = f"psfs_activity_{n}", f"psfs_score_{n}"
            if name in self.errors or score in self.errors:
                continue
            if cleaned.get(name) and cleaned.get(score) is None:
                self.add_error(score, "Please rate this activity from 0 to 10.")
            if cleaned.get(score) is not None and not cleaned.get(name):
                self.add_error(name, "Please say which activity this rating is for.")
        return cleaned


class MedicationForm(forms.Form):
    name = text("Medicine", 200)
    dose = text("Dose (optional)", 100, help_text="e.g. 400 mg")
    frequency = text("How often (optional)", 100, help_text="e.g. twice a day, when needed")
    for_pain = forms.BooleanField(label="I take it for my pain", required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("name") and (
            cleaned.get("dose") or cleaned.get("frequency") or cleaned.get("for_pain")
        ):
            self.add_error("name", "Please add the medicine's name, or clear this row.")
        return cleaned


class MedicinesForm(IntakeStepForm):
    """Step 4 beside the list of medicines: how much pain medicine, lately."""

    pain_medication_doses = whole_number(
        "How many doses of pain medicine have you taken in the last 7 days? (optional)",
        0,
        200,
        required=False,
        help_text="Count each tablet, spray or dose you took for pain. Type 0 if none.",
        message="Please type a number from 0 to 200, or leave it empty.",
    )


class BaseMedicationFormSet(forms.BaseFormSet):
    default_error_messages = {
        "missing_management_form": "Something went wrong with this page. Please reload it "
        "and fill in your medicines again.",
        "too_many_forms": "You can list up to %(num)d medicines here. Please tell us about "
        "any others at your visit.",
    }

    def rows(self) -> list[dict]:
        """The medicines listed: rows with a name that are not marked for removal."""
        return [
            {key: form.cleaned_data[key] for key in ("name", "dose", "frequency", "for_pain")}
            for form in self.forms
            if form.cleaned_data.get("name") and not form.cleaned_data.get("DELETE")
        ]


MAX_MEDICATIONS = 30
MedicationFormSet = forms.formset_factory(
    MedicationForm,
    formset=BaseMedicationFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_MEDICATIONS,
    validate_max=True,
    absolute_max=MAX_MEDICATIONS,
)
MEDICATIONS_PREFIX = "medications"


def medication_formset(data=None, *, intake: Intake):
    initial = [
        {"name": m.name, "dose": m.dose, "frequency": m.frequency, "for_pain": m.for_pain}
        for m in intake.medications.all()
    ]
    formset = MedicationFormSet(data, initial=initial, prefix=MEDICATIONS_PREFIX)
    for form in formset.forms:
        form.fields["DELETE"].label = "Remove this medicine"
    return formset


class HealthForm(IntakeStepForm):
    pregnancy_weeks = whole_number(
        "If you are pregnant, how many weeks? (optional)",
        1,
        42,
        required=False,
        message="Please type a number of weeks from 1 to 42, or leave it empty.",
    )
    health_notes = long_text(
        "Any other health conditions or operations we should know about? (optional)"
    )
    previous_acupuncture = forms.ChoiceField(
        label="Have you had acupuncture before?",
        required=False,
        choices=[(Answer.YES, "Yes"), (Answer.NO, "No")],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Please choose yes or no."},
    )
    previous_acupuncture_notes = long_text("If so, how did it go? (optional)")
    goals = long_text(
        "What would you like treatment to help you with?",
        help_text="In your own words, e.g. sleep through the night, play golf again.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        screening = {
            field: forms.ChoiceField(
                label=question,
                choices=Answer.choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": "Please answer yes, no or not sure.",
                    "invalid_choice": "Please answer yes, no or not sure.",
                },
            )
            for field, _label, question in SCREENING_QUESTIONS
        }
        self.fields = {**screening, **self.fields}
        self.fields["pregnant"].help_text = "Answer no if this cannot apply to you."

    def screening_fields(self):
        return [self[field] for field, _label, _question in SCREENING_QUESTIONS]

    @classmethod
    def initial_from(cls, intake):
        initial = super().initial_from(intake)
        for field, _label, _question in SCREENING_QUESTIONS:
            initial[field] = getattr(intake, field)
        return initial

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("pregnant") and cleaned["pregnant"] != Answer.YES:
            cleaned["pregnancy_weeks"] = None
        return cleaned


class ConsentForm(forms.Form):
    consent_to_treatment = forms.BooleanField(
        label="I agree to be treated with acupuncture and the related techniques the "
        "practitioner explains to me. I can ask questions, and stop treatment, at any time.",
        error_messages={"required": "Please tick to agree: we can't treat you without it."},
    )
    privacy_acknowledged = forms.BooleanField(
        label="I have read the privacy notice.",
        error_messages={"required": "Please tick to say you have read the privacy notice."},
    )
    signature_name = text(
        "Type your full name as your signature",
        200,
        required=True,
        required_message="Please type your full name.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def clean_signature_name(self):
        name = " ".join(self.cleaned_data["signature_name"].split())
        if len(name) < 2:
            raise forms.ValidationError("Please type your full name.", code="too_short")
        return name


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    form_class: type


STEPS = {
    1: Step(1, "About you", AboutYouForm),
    2: Step(2, "Your pain", PainForm),
    3: Step(3, "Daily life", DailyLifeForm),
    4: Step(4, "Your medicines", MedicinesForm),
    5: Step(5, "Health and safety", HealthForm),
    6: Step(6, "Consent and check your answers", ConsentForm),
}


@dataclass(frozen=True)
class AnswerSection:
    step: int
    title: str
    answers: list[tuple[str, str]]


NOT_ANSWERED = "Not answered"


def _out_of_ten(value) -> str:
    return NOT_ANSWERED if value is None else f"{value} out of 10"


def _or_not_answered(value) -> str:
    return NOT_ANSWERED if value in (None, "", []) else str(value)


def answer_sections(intake: Intake) -> list[AnswerSection]:
    """Every answer, as the patient was asked it, step by step.

    For the patient's last check before submitting and the clinician's full view.
    Reads intake.regions and intake.medications (prefetch them for a list).
    """
    about = AboutYouForm.base_fields
    pain = PainForm.base_fields
    health = HealthForm.base_fields
    emergency = " · ".join(
        part
        for part in (
            intake.emergency_contact_name,
            intake.emergency_contact_relationship,
            format_phone(intake.emergency_contact_phone),
        )
        if part
    )
    sections = [
        AnswerSection(
            1,
            STEPS[1].title,
            [
                ("Name", _or_not_answered(intake.full_name)),
                (about["preferred_name"].label, intake.preferred_name or "—"),
                (
                    about["date_of_birth"].label,
                    _or_not_answered(intake.date_of_birth and intake.date_of_birth.isoformat()),
                ),
                (about["sex"].label, _or_not_answered(intake.get_sex_display())),
                (about["phone"].label, _or_not_answered(format_phone(intake.phone))),
                (about["email"].label, intake.email or "—"),
                (about["address"].label, intake.address or "—"),
                ("Emergency contact", emergency or "—"),
                (
                    about["reminder_channel"].label,
                    dict(about["reminder_channel"].choices).get(
                        intake.reminder_channel, NOT_ANSWERED
                    ),
                ),
            ],
        )
    ]

    regions = [r.mark.patient_text for r in intake.regions_in_order]
    pain_answers = [
        (pain["pain_types"].label, _or_not_answered(", ".join(intake.pain_type_labels))),
        (pain["pain_locations"].label, ", ".join(regions) or "—"),
        (pain["pain_now"].label, _out_of_ten(intake.pain_now)),
        (pain["pain_worst"].label, _out_of_ten(intake.pain_worst)),
        (pain["months_with_pain"].label, _or_not_answered(intake.months_with_pain)),
    ]
    if intake.has_headaches:
        pain_answers.append((pain["headache_days"].label, _or_not_answered(intake.headache_days)))
    pain_answers += [
        (pain["onset"].label, intake.get_onset_display() or "—"),
        (pain["cause"].label, intake.get_cause_display() or "—"),
        (pain["triggers"].label, ", ".join(intake.trigger_labels) or "—"),
        (pain["pain_notes"].label, intake.pain_notes or "—"),
    ]
    sections.append(AnswerSection(2, STEPS[2].title, pain_answers))

    activities = [
        (f"Activity {n}", f"{name}: {score} out of 10")
        for n, (name, score) in enumerate(intake.psfs_items, start=1)
    ]
    sections.append(AnswerSection(3, STEPS[3].title, activities or [("Activities", "None listed")]))

    medicines = []
    for m in intake.medications.all():
        details = ", ".join(part for part in (m.dose, m.frequency) if part)
        medicines.append(
            (m.name, (details or "—") + (" · taken for the pain" if m.for_pain else ""))
        )
    medicines = medicines or [("Medicines", "None listed")]
    medicines.append(
        (
            MedicinesForm.base_fields["pain_medication_doses"].label.removesuffix(" (optional)"),
            _or_not_answered(intake.pain_medication_doses),
        )
    )
    sections.append(AnswerSection(4, STEPS[4].title, medicines))

    health_answers = []
    for field, _label, question in SCREENING_QUESTIONS:
        answer = getattr(intake, f"get_{field}_display")() or NOT_ANSWERED
        if field == "pregnant" and intake.pregnancy_weeks:
            answer = f"{answer} ({intake.pregnancy_weeks} weeks)"
        health_answers.append((question, answer))
    health_answers += [
        (health["health_notes"].label, intake.health_notes or "—"),
        (
            health["previous_acupuncture"].label,
            intake.get_previous_acupuncture_display() or "—",
        ),
        (health["previous_acupuncture_notes"].label, intake.previous_acupuncture_notes or "—"),
        (health["goals"].label, intake.goals or "—"),
    ]
    sections.append(AnswerSection(5, STEPS[5].title, health_answers))
    return sections
