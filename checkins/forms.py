"""The patient's check-in form, in the patient's words: the scales are never named.

The questions follow the check-in (docs/clinical-rules.md section 1): pain now and at
its worst in the last 7 days, each activity the patient named at intake (in their
own words), doses of pain medicine in the last 7 days, headache days in the last 30
(only when the intake names headaches or migraine), and how they feel overall since
starting treatment. checkins.services.checkin_submit checks the ranges again.
"""

from django import forms

from checkins.models import CheckIn
from intake.steps import pain_scale, whole_number

ACTIVITY_HELP = "0 means you can't do it at all; 10 means you can do it as well as before."
ACTIVITY_ERROR = "Please choose a number from 0 (can't do it) to 10 (as well as before)."


class CheckInForm(forms.Form):
    pain_now = pain_scale("How strong is your pain right now?")
    pain_worst = pain_scale("How strong was your pain at its worst in the last 7 days?")
    pain_medication_doses = whole_number(
        "How many doses of pain medicine have you taken in the last 7 days? (optional)",
        0,
        200,
        required=False,
        help_text="Count each tablet, spray or dose you took for pain. Type 0 if none.",
        message="Please type a number from 0 to 200, or leave it empty.",
    )
    headache_days = whole_number(
        "On how many of the last 30 days did you have a headache?",
        0,
        30,
        required=True,
        help_text="Type 0 if you had none.",
        message="Please type a number of days from 0 to 30.",
    )
    pgic = forms.TypedChoiceField(
        label="Since you started coming to the clinic, how do you feel overall?",
        choices=CheckIn.Pgic.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Please choose the answer closest to how you feel.",
            "invalid_choice": "Please choose the answer closest to how you feel.",
        },
    )

    def __init__(self, *args, check_in: CheckIn, **kwargs):
        super().__init__(*args, **kwargs)
        self.check_in = check_in
        fields = dict(self.fields)
        activities = {}
        for n in (1, 2, 3):
            activity = getattr(check_in, f"psfs_activity_{n}")
            if activity:
                activities[f"psfs_score_{n}"] = whole_number(
                    activity, 0, 10, required=True, help_text=ACTIVITY_HELP, message=ACTIVITY_ERROR
                )
        if not check_in.asks_headache_days:
            del fields["headache_days"]
        # The page's order: pain, the patient's activities, medicine, headaches, overall.
        order = ["pain_now", "pain_worst", *activities, "pain_medication_doses"]
        order += [name for name in ("headache_days", "pgic") if name in fields]
        fields.update(activities)
        self.fields = {name: fields[name] for name in order}

    def activity_fields(self):
        return [self[name] for name in self.fields if name.startswith("psfs_score_")]
