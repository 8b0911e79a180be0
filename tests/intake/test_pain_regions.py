"""Where it hurts, with sides (issue 20): the stored side of a pain region, the intake's
step 2 fields `pain_location_side_<region>`, the service that saves them, the body
map's markup, and the answers as the patient and the clinician read them."""

import re

import pytest
from django.db import IntegrityError, transaction

from audit.models import AuditEntry
from intake.body_map import MarkedRegion
from intake.models import Intake, IntakePainRegion
from intake.services import intake_save_step
from intake.steps import PainForm, answer_sections
from tests.factories import IntakeFactory, make_invitation
from tests.intake.test_views_intake_form import STEP_ANSWERS, errors, fill_steps, post_step

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(patient, front_desk):
    _invitation, _token, path = make_invitation(patient, created_by=front_desk)
    return path


def _regions(intake) -> list[tuple]:
    return sorted(intake.regions.values_list("region", "side", "score"))


# --- The model ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "side"),
    [("legs", "up"), ("legs", ""), ("neck", "left"), ("head", "right")],
)
def test_the_database_refuses_a_side_that_is_not_one_or_a_side_of_a_region_without_sides(
    region, side
):
    intake = IntakeFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        IntakePainRegion.objects.create(intake=intake, region=region, side=side)

    assert not intake.regions.exists()


def test_a_region_without_a_side_given_is_both_sides():
    region = IntakePainRegion.objects.create(intake=IntakeFactory(), region="feet")

    assert region.side == "both"
    assert str(region) == "Feet (both sides)"


# --- The form -------------------------------------------------------------------------------


def _pain_form(**changes) -> PainForm:
    return PainForm({**STEP_ANSWERS[2], **changes})


def test_each_region_with_sides_has_a_side_field_next_to_it_and_the_others_none():
    rows = {row.value: row for row in PainForm().region_rows()}

    assert {value for value, row in rows.items() if row.side is not None} == {
        "shoulders",
        "hips",
        "legs",
        "feet",
        "arms",
    }
    assert rows["legs"].side.name == "pain_location_side_legs"
    assert rows["legs"].side.label == "Legs: which side?"
    assert [value for value, _label in rows["legs"].side.field.choices] == [
        "both",
        "left",
        "right",
    ]
    # In the page's order, so the list of errors reads as the page does.
    names = list(PainForm().fields)
    assert names.index("pain_location_side_legs") == names.index("pain_location_score_legs") - 1


def test_ticked_regions_come_with_their_side_and_score():
    form = _pain_form(
        pain_locations=["neck", "legs", "arms"],
        pain_location_side_legs="left",
        pain_location_score_legs="5",
        pain_location_side_arms="",
        pain_location_score_shoulders="",
    )

    assert form.is_valid(), form.errors
    assert form.regions() == [
        MarkedRegion("neck", score=7),
        MarkedRegion("legs", side="left", score=5),
        MarkedRegion("arms", side="both"),
    ]


def test_a_side_chosen_for_a_region_not_ticked_marks_nothing():
    form = _pain_form(pain_locations=["neck"], pain_location_side_feet="right")

    assert form.is_valid(), form.errors
    assert [mark.region for mark in form.regions()] == ["neck", "shoulders"]


def test_a_side_that_is_not_one_is_an_error_on_that_field():
    form = _pain_form(pain_locations=["legs"], pain_location_side_legs="up")

    assert not form.is_valid()
    assert form.errors["pain_location_side_legs"] == [
        "Please choose left side, right side or both sides."
    ]


# --- The service -----------------------------------------------------------------------------


def test_saving_the_pain_step_replaces_the_regions_with_their_sides(patient, front_desk):
    intake = IntakeFactory(patient=patient)
    IntakePainRegion.objects.create(intake=intake, region="neck", score=3)

    intake_save_step(
        intake=intake,
        step=2,
        answers={},
        regions=[MarkedRegion("legs", side="right", score=6), MarkedRegion("head")],
    )

    assert _regions(intake) == [("head", "both", None), ("legs", "right", 6)]
    change = AuditEntry.objects.filter(changes__has_key="regions").latest("pk")
    assert change.changes["regions"] == [["neck 3"], ["head None", "legs right 6"]]


# --- The pages ------------------------------------------------------------------------------


def test_the_pain_step_saves_each_side_and_shows_it_again(client, link, patient):
    client.get(link)
    fill_steps(client, link, steps=[1])
    answers = {
        **STEP_ANSWERS[2],
        "pain_locations": ["neck", "legs", "hips"],
        "pain_location_side_legs": "left",
        "pain_location_score_legs": "5",
        "pain_location_side_hips": "right",
        "pain_location_side_feet": "left",  # not ticked: no region
    }

    response = post_step(client, link, 2, answers)

    assert response.status_code == 302
    intake = Intake.objects.get(patient=patient)
    assert _regions(intake) == [
        ("hips", "right", None),
        ("legs", "left", 5),
        ("neck", "both", 7),
        ("shoulders", "both", 4),
    ]
    page = client.get(f"{link}step/2/").content.decode()
    assert re.search(
        r'<select name="pain_location_side_legs"[^>]*>\s*<option value="both">Both sides</option>'
        r'\s*<option value="left" selected>Left side</option>',
        page,
    )
    fill_steps(client, link, steps=[3, 4, 5])
    review = client.get(f"{link}step/6/").content.decode()
    assert (
        "Neck (7 out of 10), Shoulders / shoulder blades (both sides, 4 out of 10), "
        "Hips / buttocks (right side), Legs (left side, 5 out of 10)" in review
    )


def test_a_bad_side_is_explained_next_to_it_and_nothing_of_the_step_is_saved(client, link, patient):
    client.get(link)
    fill_steps(client, link, steps=[1, 2])
    intake = Intake.objects.get(patient=patient)
    before = _regions(intake)

    response = post_step(
        client,
        link,
        2,
        {**STEP_ANSWERS[2], "pain_locations": ["legs"], "pain_location_side_legs": "middle"},
    )

    assert response.status_code == 200
    assert errors(response) == ["Please choose left side, right side or both sides."]
    page = response.content.decode()
    assert re.search(
        r'<select name="pain_location_side_legs"[^>]*'
        r'aria-describedby="id_pain_location_side_legs_error"',
        page,
    )
    assert _regions(intake) == before


def test_the_pain_step_draws_the_body_map_over_its_fields(client, link):
    client.get(link)
    fill_steps(client, link, steps=[1])

    page = client.get(f"{link}step/2/").content.decode()

    body_map = re.search(
        r'<div class="body-map[^"]*"[^>]*data-body-map="pain_locations"[^>]*>', page
    )
    assert body_map and " hidden" in body_map.group(0)  # until its script shows it
    assert 'data-side-prefix="pain_location_side_"' in body_map.group(0)
    assert 'data-score-prefix="pain_location_score_"' in body_map.group(0)
    labels = re.findall(
        r'role="button" tabindex="0" aria-pressed="false" aria-label="([^"]+)"', page
    )
    assert len(labels) == 15
    assert {"Head", "Left leg", "Right arm / hand", "Lower back"} <= set(labels)
    assert '<script src="/static/intake/body_map.js" defer></script>' in page
    assert " style=" not in page and "<style" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script


# --- The answers ---------------------------------------------------------------------------


def test_the_answers_list_each_region_with_its_side_and_score_in_the_vocabulary_order():
    intake = IntakeFactory()
    for region, side, score in (("legs", "left", 5), ("head", "both", 7), ("arms", "both", None)):
        IntakePainRegion.objects.create(intake=intake, region=region, side=side, score=score)

    pain = dict(answer_sections(intake)[1].answers)

    assert pain["Where does it hurt?"] == (
        "Head (7 out of 10), Legs (left side, 5 out of 10), Arms / hands (both sides)"
    )


# --- The chart ------------------------------------------------------------------------------


def _submitted_with_regions(patient):
    intake = IntakeFactory(patient=patient, submitted=True)
    for region, side, score in (("neck", "both", 7), ("legs", "left", 5), ("hips", "right", None)):
        IntakePainRegion.objects.create(intake=intake, region=region, side=side, score=score)
    return intake


def test_the_acupuncturists_chart_draws_the_regions_of_the_last_intake_with_a_list_beside(
    client, acupuncturist, patient
):
    _submitted_with_regions(patient)
    client.force_login(acupuncturist)

    page = client.get(f"/patients/{patient.code}/").content.decode()

    card = re.search(r'<section class="card mt-3" id="pain-map".*?</section>', page, re.S).group(0)
    # Listed in the vocabulary's order, whatever order they were stored in.
    listed = re.findall(r'<li data-pain-region="(\w+)" data-side="(\w+)">(.*?)</li>', card)
    assert [(r, s, re.sub(r"<[^>]+>", "", text)) for r, s, text in listed] == [
        ("neck", "both", "Neck 7/10"),
        ("hips", "right", "Hips / buttocks (right) no score"),
        ("legs", "left", "Legs (left) 5/10"),
    ]
    svg = re.search(r"<svg[^>]*>.*?</svg>", card, re.S).group(0)
    assert 'role="img"' in svg and "tabindex" not in svg and 'role="button"' not in svg
    chosen = set()
    for line in svg.splitlines():
        target = re.match(
            r'<g class="map-target is-chosen[^"]*" data-region="(\w+)" data-side="(\w*)"', line
        )
        if target:
            score = re.search(r"<text [^>]*>(\d*)</text>", line)
            chosen.add((*target.groups(), score.group(1) if score else None))
    assert sorted(chosen) == [
        ("hips", "right", None),
        ("legs", "left", "5"),
        ("neck", "", "7"),
    ]


def test_the_front_desk_sees_no_pain_map_on_the_chart(desk_client, patient):
    _submitted_with_regions(patient)

    page = desk_client.get(f"/patients/{patient.code}/").content.decode()

    assert 'id="pain-map"' not in page
    assert "Legs (left)" not in page


def test_a_draft_intake_draws_no_pain_map(client, acupuncturist, patient):
    intake = IntakeFactory(patient=patient)
    IntakePainRegion.objects.create(intake=intake, region="neck", score=3)
    client.force_login(acupuncturist)

    assert 'id="pain-map"' not in client.get(f"/patients/{patient.code}/").content.decode()
