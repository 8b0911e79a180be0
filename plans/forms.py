import datetime

from django import forms
from django.utils import timezone

from accounts.selectors import practitioners
from core.concurrency import VersionedFormMixin
from core.forms import number_messages
from plans import cadence
from plans.models import Advice, Plan, PlanDecision, ReferralContact
from sessions.models import Protocol

REASON_MAX = 500


class TickedIdsField(forms.ModelMultipleChoiceField):
    """Ticked rows by id; an id no database integer can hold is an unknown choice.

    (Django checks each id's type but not its size, and SQLite raises on an id
    beyond 64 bits in the `IN` query.)
    """

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(str(pk).strip())
            except ValueError:
                continue  # Django's own check reports it
            if not -(2**63) <= number < 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class PlanForm(forms.ModelForm):
    """The plan's details. Baseline and cadence are not here: they come from the
    policy and are changed only through decisions, each with a reason."""

    advice = forms.MultipleChoiceField(
        label="Home-care checklist",
        choices=Advice.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Plan
        field_classes = {"protocols": TickedIdsField, "referrals": TickedIdsField}
        fields = [
            "practitioner",
            "months_with_pain",
            "target_pain",
            "functional_goals",
            "pain_pattern",
            "protocols",
            "advice",
            "advice_notes",
            "referrals",
            "referral_notes",
            "review_date",
            "check_in_every",
        ]
        labels = {
            "months_with_pain": "Months with this pain",
            "target_pain": "Target pain (0-10)",
            "functional_goals": "Functional goals, in the patient's words",
            "pain_pattern": "Pain pattern",
            "protocols": "Point protocols used",
            "advice_notes": "Lifestyle and home-care advice",
            "referrals": "Referrals",
            "referral_notes": "Referral notes",
            "review_date": "Review date",
            "check_in_every": "Ask for a check-in every N signed sessions (0: never)",
        }
        help_texts = {
            "months_with_pain": "Sets the course estimate: one session per month, 6 to 24.",
            "pain_pattern": "Where, what kind, what sets it off.",
            "advice_notes": "Exercise, posture, sleep, stress: what was agreed.",
            "check_in_every": (
                "The patient is sent a check-in after every this many sessions and at the"
                " review date; 0 sends none. One can still be made from the chart."
            ),
        }
        error_messages = {"check_in_every": number_messages(0, 52)}
        widgets = {
            "functional_goals": forms.Textarea(attrs={"rows": 3}),
            "pain_pattern": forms.Textarea(attrs={"rows": 3}),
            "advice_notes": forms.Textarea(attrs={"rows": 3}),
            "referral_notes": forms.Textarea(attrs={"rows": 2}),
            "protocols": forms.CheckboxSelectMultiple,
            "referrals": forms.CheckboxSelectMultiple,
            "review_date": forms.DateInput(attrs={"type": "date"}),
            "target_pain": forms.NumberInput(attrs={"min": 0, "max": 10}),
            "months_with_pain": forms.NumberInput(attrs={"min": 0, "max": 600}),
            "check_in_every": forms.NumberInput(attrs={"min": 0, "max": 52}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["check_in_every"].required = False
        self.fields["practitioner"].queryset = practitioners()
        self.fields["practitioner"].label = "Practitioner responsible"
        chosen_protocols = self.instance.protocols.all() if self.instance.pk else []
        chosen_referrals = self.instance.referrals.all() if self.instance.pk else []
        # Retired protocols and contacts stay ticked on the plans that use them.
        self.fields["protocols"].queryset = (
            Protocol.objects.filter(is_active=True)
            | Protocol.objects.filter(pk__in=chosen_protocols)
        ).distinct()
        self.fields["referrals"].queryset = (
            ReferralContact.objects.filter(is_active=True)
            | ReferralContact.objects.filter(pk__in=chosen_referrals)
        ).distinct()
        if not self.fields["referrals"].queryset.exists():
            self.fields[
                "referrals"
            ].help_text = "The clinic's referral directory is empty; a clinic admin adds contacts."

    def clean_check_in_every(self):
        # Left empty (or not sent, as by a form from before the setting), the plan
        # keeps what it has: 4 for a new plan.
        every = self.cleaned_data.get("check_in_every")
        return self.instance.check_in_every if every is None else every

    def clean_review_date(self):
        review = self.cleaned_data.get("review_date")
        start = self.instance.start_date if self.instance.pk else timezone.localdate()
        if review is not None and review < start:
            raise forms.ValidationError("The review date cannot be before the plan started.")
        if review is not None and review > start + datetime.timedelta(days=3 * 365):
            raise forms.ValidationError("Choose a review date within three years.")
        return review


class PlanEditForm(VersionedFormMixin, PlanForm):
    reason = forms.CharField(
        label="Why the change", max_length=REASON_MAX, help_text="Kept in the plan's history."
    )


class DecisionForm(forms.Form):
    """One of the practitioner's decisions; which fields it needs depends on the kind."""

    kind = forms.ChoiceField(choices=PlanDecision.Kind.choices, widget=forms.HiddenInput)
    rung = forms.ChoiceField(
        label="New cadence",
        choices=[("", "Choose…")] + [(r.value, r.words.capitalize()) for r in cadence.RUNGS],
        required=False,
    )
    baseline_pain = forms.IntegerField(
        label="Corrected baseline pain (0-10)", min_value=0, max_value=10, required=False
    )
    reason = forms.CharField(label="Reason", max_length=REASON_MAX)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == PlanDecision.Kind.OVERRIDE and not data.get("rung"):
            self.add_error("rung", "Choose the cadence to set.")
        if kind == PlanDecision.Kind.BASELINE and data.get("baseline_pain") is None:
            if "baseline_pain" not in self.errors:
                self.add_error("baseline_pain", "Give the corrected baseline, 0 to 10.")
        return data


class CloseForm(forms.Form):
    status = forms.ChoiceField(
        label="The plan ends because",
        choices=[
            (Plan.Status.COMPLETED, "Completed: the patient is discharged"),
            (Plan.Status.DISCONTINUED, "Discontinued"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the plan is discontinued.",
    )

    def clean(self):
        data = super().clean()
        if data.get("status") == Plan.Status.DISCONTINUED and not data.get("reason", "").strip():
            self.add_error("reason", "Say why the plan is discontinued.")
        return data
