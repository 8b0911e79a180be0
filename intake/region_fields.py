"""Form fields for body regions with their sides, shared by the intake's pain step and
the session form (regions treated). The body map (intake/body_map.py) drives the same
fields from the page; without JavaScript they are the form.

A form has a multiple choice of regions (`pain_locations`, `regions_treated`) and, for
each region that has two sides, a choice of side named `<prefix><region>`
(`pain_location_side_legs`): both (the default), left or right.
"""

from dataclasses import dataclass

from django import forms

from intake.body_map import BOTH, SIDED_REGIONS, MarkedRegion, has_sides, marked_regions
from intake.vocabulary import BodyRegion, RegionSide


def side_field(label: str, *, message: str) -> forms.ChoiceField:
    """Which side of a region: an empty answer is both sides."""
    return forms.ChoiceField(
        label=label,
        required=False,
        choices=RegionSide.choices,
        widget=forms.Select(attrs={"class": "form-select region-side"}),
        error_messages={"invalid_choice": message},
    )


def side_fields(prefix: str, *, label: str, message: str) -> dict[str, forms.ChoiceField]:
    """A side field for each region that has sides, in the vocabulary's order. `label`
    is formatted with the region's label."""
    return {
        f"{prefix}{region}": side_field(label.format(region=region_label), message=message)
        for region, region_label in BodyRegion.choices
        if region in SIDED_REGIONS
    }


def initial_for(marks, *, regions_field: str, prefix: str) -> dict:
    """The form's initial values for these regions: the ticks and each one's side."""
    marks = list(marks)
    initial = {regions_field: [mark.region for mark in marks]}
    for mark in marks:
        if has_sides(mark.region):
            initial[f"{prefix}{mark.region}"] = mark.side
    return initial


def cleaned_marks(cleaned_data: dict, chosen, *, prefix: str) -> list[MarkedRegion]:
    """The regions `chosen`, each with the side the form cleaned (both when empty)."""
    sides = {
        region: cleaned_data.get(f"{prefix}{region}") or BOTH
        for region in SIDED_REGIONS
        if f"{prefix}{region}" in cleaned_data
    }
    return marked_regions(chosen, sides)


def mark_invalid(form: forms.Form, name: str) -> None:
    """Tie a field drawn by hand (not by crispy) to its error message, as crispy does."""
    if form.is_bound and name in form.errors:
        attrs = form.fields[name].widget.attrs
        if "is-invalid" not in attrs.get("class", ""):
            attrs["class"] = attrs.get("class", "") + " is-invalid"
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{form[name].auto_id}_error"


@dataclass(frozen=True)
class RegionRow:
    """One region in the list under the map: its checkbox, its side (None for a region
    without sides) and, on the intake, its score."""

    value: str
    label: str
    box: forms.BoundField
    side: forms.BoundField | None = None
    score: forms.BoundField | None = None


def region_rows(form: forms.Form, regions_field: str, *, prefix: str, score_field=None):
    """The rows of the list under the map. `score_field(region)` names a region's score
    field, on forms that have one."""
    checkboxes = {box.data["value"]: box for box in form[regions_field]}
    rows = []
    for region, label in BodyRegion.choices:
        side = f"{prefix}{region}" if has_sides(region) else None
        score = score_field(region) if score_field else None
        for name in filter(None, (side, score)):
            mark_invalid(form, name)
        rows.append(
            RegionRow(
                value=region,
                label=label,
                box=checkboxes[region],
                side=form[side] if side else None,
                score=form[score] if score else None,
            )
        )
    return rows
