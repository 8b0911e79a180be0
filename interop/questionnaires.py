"""The intake and the check-in as FHIR Questionnaires, generated from the forms the
patient fills in (intake.steps, checkins.forms), and the answers as
QuestionnaireResponse items.

Each question's linkId is its form field's name (docs/reference.md lists them), its
text the label the patient read, and a choice's options the vocabulary's values and
labels. Free text is kept exactly as the patient typed it.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass
from functools import cache

from django import forms

from checkins.forms import CheckInForm
from checkins.models import CheckIn
from intake.body_map import has_sides
from intake.models import SCREENING_QUESTIONS, Intake
from intake.steps import SIDE_PREFIX, STEPS, MedicationForm, PainForm
from interop import codes

# The vocabulary a choice question answers from; any other choice question has a code
# system named after its field.
CHOICE_SYSTEMS = {
    "sex": codes.ADMINISTRATIVE_GENDER,
    "pain_types": codes.code_system("pain-type"),
    "pain_locations": codes.code_system("body-region"),
    "cause": codes.code_system("cause"),
    "onset": codes.code_system("onset"),
    "triggers": codes.code_system("trigger"),
    "reminder_channel": codes.code_system("reminder-channel"),
    "previous_acupuncture": codes.code_system("answer"),
    "pgic": codes.code_system("pgic"),
    **{field: codes.code_system("answer") for field, _label, _question in SCREENING_QUESTIONS},
}
MEDICATIONS = "medications"
# Check-in questions asked only of some patients: not required in the definition.
CONDITIONAL = frozenset({"headache_days", "psfs_score_1", "psfs_score_2", "psfs_score_3"})


@dataclass(frozen=True)
class Step:
    link_id: str
    title: str
    fields: dict  # form field name -> form field


def _intake_steps() -> list[Step]:
    steps = []
    for number, step in STEPS.items():
        fields = dict(step.form_class().fields)
        steps.append(Step(f"step-{number}", step.title, fields))
    return steps


def _checkin_fields() -> dict:
    template = CheckIn(
        asks_headache_days=True,
        **{f"psfs_activity_{n}": f"Activity {n} the patient named at intake" for n in (1, 2, 3)},
    )
    return dict(CheckInForm(check_in=template).fields)


def _system(name: str) -> str:
    return CHOICE_SYSTEMS.get(name) or codes.code_system(name.replace("_", "-"))


def _options(field) -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in field.choices if value not in ("", None)]


def _item(name: str, field, *, required: bool | None = None) -> dict:
    item = {"linkId": name, "text": str(field.label)}
    if isinstance(field, forms.MultipleChoiceField | forms.ChoiceField):
        item["type"] = "choice"
        item["answerOption"] = [
            {"valueCoding": {"system": _system(name), "code": value, "display": label}}
            for value, label in _options(field)
        ]
        if isinstance(field, forms.MultipleChoiceField):
            item["repeats"] = True
    elif isinstance(field, forms.IntegerField):
        item["type"] = "integer"
        bounds = [
            (url, value)
            for url, value in (("minValue", field.min_value), ("maxValue", field.max_value))
            if value is not None
        ]
        if bounds:
            item["extension"] = [
                {"url": f"http://hl7.org/fhir/StructureDefinition/{url}", "valueInteger": value}
                for url, value in bounds
            ]
    elif isinstance(field, forms.DateField):
        item["type"] = "date"
    elif isinstance(field, forms.BooleanField):
        item["type"] = "boolean"
    else:
        item["type"] = "text" if isinstance(field.widget, forms.Textarea) else "string"
        if getattr(field, "max_length", None):
            item["maxLength"] = field.max_length
    if required if required is not None else field.required:
        item["required"] = True
    return item


def _intake_items() -> list[dict]:
    items = []
    for step in _intake_steps():
        children = [_item(name, field) for name, field in step.fields.items()]
        if step.link_id == "step-4":
            children.append(
                {
                    "linkId": MEDICATIONS,
                    "text": "Your medicines",
                    "type": "group",
                    "repeats": True,
                    "item": [
                        _item(f"{MEDICATIONS}.{name}", field, required=name == "name")
                        for name, field in MedicationForm().fields.items()
                    ],
                }
            )
        items.append(
            {"linkId": step.link_id, "text": step.title, "type": "group", "item": children}
        )
    return items


def _checkin_items() -> list[dict]:
    return [
        _item(name, field, required=False if name in CONDITIONAL else None)
        for name, field in _checkin_fields().items()
    ]


def _questionnaire(*, url: str, name: str, title: str, items: list[dict]) -> dict:
    # The version is a digest of the questions: a change to a form is a new version,
    # and answers name the version they answered.
    digest = hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()[:12]
    return {
        "resourceType": "Questionnaire",
        "id": codes.stable_id("questionnaire", url, digest),
        "url": url,
        "version": digest,
        "name": name,
        "title": title,
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "AcuClinic",
        "item": items,
    }


@cache
def intake_questionnaire() -> dict:
    return _questionnaire(
        url=codes.INTAKE_QUESTIONNAIRE,
        name="AcuClinicIntake",
        title="AcuClinic intake",
        items=_intake_items(),
    )


@cache
def checkin_questionnaire() -> dict:
    return _questionnaire(
        url=codes.CHECK_IN_QUESTIONNAIRE,
        name="AcuClinicCheckIn",
        title="AcuClinic check-in",
        items=_checkin_items(),
    )


def canonical(questionnaire: dict) -> str:
    return f"{questionnaire['url']}|{questionnaire['version']}"


# --- Answers ------------------------------------------------------------------------


def _answers(name: str, field, value) -> list[dict]:
    """A stored value as QuestionnaireResponse answers (none for an empty one)."""
    if value is None or value == "" or value == []:
        return []
    if isinstance(field, forms.MultipleChoiceField | forms.ChoiceField):
        labels = dict(_options(field))
        values = value if isinstance(value, list | tuple) else [value]
        return [
            {
                "valueCoding": {
                    "system": _system(name),
                    "code": str(v),
                    "display": labels.get(str(v), str(v)),
                }
            }
            for v in values
        ]
    if isinstance(field, forms.IntegerField):
        return [{"valueInteger": int(value)}]
    if isinstance(field, forms.DateField):
        return [{"valueDate": value.isoformat()}]
    if isinstance(field, forms.BooleanField):
        return [{"valueBoolean": bool(value)}]
    return [{"valueString": str(value)}]


def _answered(name: str, field, value, *, text: str | None = None) -> dict | None:
    answers = _answers(name, field, value)
    if not answers:
        return None
    return {"linkId": name, "text": text or str(field.label), "answer": answers}


def intake_answer_items(intake: Intake) -> list[dict]:
    """The intake's answers, step by step (reads the prefetched regions and
    medications)."""
    rows = list(intake.regions.all())
    special = {"pain_locations": [row.region for row in rows]}
    for row in rows:
        special[PainForm.score_field(row.region)] = row.score
        # Which side hurts, for a region that has two (the body map's answer).
        if has_sides(row.region):
            special[f"{SIDE_PREFIX}{row.region}"] = row.side
    items = []
    for step in _intake_steps():
        children = []
        for name, field in step.fields.items():
            # A region's score is answered only for the regions the patient marked.
            value = special[name] if name in special else getattr(intake, name, None)
            answered = _answered(name, field, value)
            if answered:
                children.append(answered)
        if step.link_id == "step-4":
            medication_fields = MedicationForm().fields
            for medication in intake.medications.all():
                row = [
                    _answered(f"{MEDICATIONS}.{name}", field, getattr(medication, name))
                    for name, field in medication_fields.items()
                ]
                children.append(
                    {
                        "linkId": MEDICATIONS,
                        "text": "Your medicines",
                        "item": [answered for answered in row if answered],
                    }
                )
        if children:
            items.append({"linkId": step.link_id, "text": step.title, "item": children})
    return items


def checkin_answer_items(check_in: CheckIn) -> list[dict]:
    """The check-in's answers; an activity's question carries the patient's own words."""
    items = []
    for name, field in _checkin_fields().items():
        text = None
        if name.startswith("psfs_score_"):
            text = getattr(check_in, name.replace("score", "activity")) or None
            if text is None:
                continue
        answered = _answered(name, field, getattr(check_in, name), text=text)
        if answered:
            items.append(answered)
    return items


def instant(moment: datetime.datetime) -> str:
    return moment.isoformat(timespec="seconds")
