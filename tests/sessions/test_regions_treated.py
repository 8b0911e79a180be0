"""The regions treated in a session (issue 20): the field `regions_treated` with a side
for each region that has two (`regions_treated_side_<region>`), saved with the draft by
the session service, shown on the note, read-only once signed, and pre-filled on the
next visit."""

import re

import pytest
from django.core.exceptions import ValidationError

from intake.body_map import MarkedRegion
from sessions.forms import SessionForm
from sessions.models import TreatmentSession
from sessions.points import parse_points
from sessions.selectors import session_context
from sessions.services import SessionNotEditable, session_save
from tests.factories import TreatmentSessionFactory
from tests.payloads import ea_visit

pytestmark = pytest.mark.django_db

NECK_AND_LEFT_SHOULDER = [
    {"region": "neck", "side": "both"},
    {"region": "shoulders", "side": "left"},
]


@pytest.fixture
def practitioner_client(client, acupuncturist):
    client.force_login(acupuncturist)
    return client


def _new_url(patient) -> str:
    return f"/patients/{patient.code}/sessions/new/"


def _form(patient, **changes) -> SessionForm:
    return SessionForm(
        ea_visit(**changes),
        context=session_context(patient),
        patient=patient,
        instance=TreatmentSession(patient=patient),
    )


def _note(**changes) -> dict:
    return {
        "date": TreatmentSession._meta.get_field("date").to_python("2025-01-06"),
        "pain_before": 6,
        "modalities": ["manual_needling"],
        **changes,
    }


def _save(user, patient, *, session=None, **note):
    return session_save(
        patient=patient,
        session=session,
        data=_note(**note),
        points=parse_points("GB20").points,
        adverse_events=[],
        user=user,
    )


# --- The model ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        [{"region": "knee", "side": "both"}],
        [{"region": "neck", "side": "left"}],
        [{"region": "legs"}],
        ["legs"],
        [{"region": "legs", "side": "left"}, {"region": "legs", "side": "right"}],
        [{"region": "shoulders", "side": "left"}, {"region": "neck", "side": "both"}],
        "neck",
    ],
)
def test_a_session_refuses_regions_treated_that_are_not_the_vocabulary_once_each_in_order(
    value, acupuncturist
):
    session = TreatmentSessionFactory.build(created_by=acupuncturist, regions_treated=value)

    with pytest.raises(ValidationError) as refused:
        session.clean_fields(exclude=["patient", "created_by"])

    assert list(refused.value.message_dict) == ["regions_treated"]


def test_a_session_keeps_its_regions_treated_as_marked_regions(acupuncturist):
    session = TreatmentSessionFactory(
        created_by=acupuncturist, regions_treated=NECK_AND_LEFT_SHOULDER
    )

    assert session.regions_treated_marks() == [
        MarkedRegion("neck"),
        MarkedRegion("shoulders", side="left"),
    ]
    assert TreatmentSessionFactory(created_by=acupuncturist).regions_treated == []


# --- The form -------------------------------------------------------------------------------


def test_the_form_cleans_the_regions_ticked_with_their_sides(patient):
    form = _form(
        patient,
        regions_treated=["legs", "neck"],
        regions_treated_side_legs="right",
        regions_treated_side_arms="left",  # not ticked
        headache_days="6",
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["regions_treated"] == [
        MarkedRegion("neck"),
        MarkedRegion("legs", side="right"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("regions_treated", ["knee"], "Choose regions from the list."),
        ("regions_treated_side_legs", "middle", "Choose left side, right side or both sides."),
    ],
)
def test_a_bad_region_or_side_is_an_error_on_its_field(patient, field, value, message):
    form = _form(patient, **{"regions_treated": ["legs"], field: value})

    assert not form.is_valid()
    assert form.errors[field] == [message]


# --- The service -----------------------------------------------------------------------------


def test_saving_a_draft_keeps_its_regions_treated_once_each_in_the_vocabulary_order(
    acupuncturist, patient
):
    session, saved = _save(
        acupuncturist,
        patient,
        regions_treated=[MarkedRegion("shoulders", side="left"), MarkedRegion("neck")],
    )

    assert saved
    session.refresh_from_db()
    assert session.regions_treated == NECK_AND_LEFT_SHOULDER

    _save(acupuncturist, patient, session=session, regions_treated=[])
    session.refresh_from_db()
    assert session.regions_treated == []


@pytest.mark.parametrize(
    "regions",
    [
        [{"region": "neck", "side": "left"}],
        [MarkedRegion("legs", side="left"), MarkedRegion("legs", side="right")],
        "neck",
    ],
)
def test_the_service_refuses_regions_that_are_not_regions_and_saves_nothing(
    acupuncturist, patient, regions
):
    with pytest.raises(ValueError):
        _save(acupuncturist, patient, regions_treated=regions)

    assert not TreatmentSession.objects.exists()


def test_a_signed_notes_regions_treated_cannot_be_changed(acupuncturist, patient):
    signed = TreatmentSessionFactory(
        patient=patient,
        created_by=acupuncturist,
        signed=True,
        regions_treated=NECK_AND_LEFT_SHOULDER,
    )

    with pytest.raises(SessionNotEditable):
        _save(acupuncturist, patient, session=signed, regions_treated=[MarkedRegion("head")])

    signed.refresh_from_db()
    assert signed.regions_treated == NECK_AND_LEFT_SHOULDER


# --- The pages ------------------------------------------------------------------------------


def test_the_session_form_saves_the_regions_treated_and_the_note_shows_them(
    practitioner_client, patient
):
    response = practitioner_client.post(
        _new_url(patient),
        ea_visit(
            regions_treated=["neck", "shoulders", "legs"],
            regions_treated_side_shoulders="left",
            regions_treated_side_legs="both",
        ),
        follow=True,
    )

    session = TreatmentSession.objects.get()
    assert session.regions_treated == [
        {"region": "neck", "side": "both"},
        {"region": "shoulders", "side": "left"},
        {"region": "legs", "side": "both"},
    ]
    note = response.content.decode()
    shown = re.findall(r'<li data-region-treated="(\w+)" data-side="(\w+)">([^<]+)</li>', note)
    assert shown == [
        ("neck", "both", "Neck"),
        ("shoulders", "left", "Shoulders / shoulder blades (left)"),
        ("legs", "both", "Legs (both sides)"),
    ]
    picture = re.search(r'<svg class="body-map-svg"[^>]*role="img"[^>]*>.*?</svg>', note, re.S)
    chosen = re.findall(
        r'class="map-target is-chosen" data-region="(\w+)" data-side="(\w*)"', picture.group(0)
    )
    assert sorted(set(chosen)) == [
        ("legs", "left"),
        ("legs", "right"),
        ("neck", ""),
        ("shoulders", "left"),
    ]


def test_a_bad_region_is_shown_next_to_the_field_and_nothing_is_saved(practitioner_client, patient):
    response = practitioner_client.post(
        _new_url(patient), ea_visit(regions_treated=["neck", "tail"])
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(
        r'<div id="id_regions_treated_error" class="invalid-feedback d-block">'
        r"Choose regions from the list.</div>",
        page,
    )
    assert not TreatmentSession.objects.exists()


def test_the_form_draws_the_map_over_the_regions_treated(practitioner_client, patient):
    page = practitioner_client.get(_new_url(patient)).content.decode()

    body_map = re.search(r'<div class="body-map body-map-treated"[^>]*>', page).group(0)
    assert 'data-body-map="regions_treated"' in body_map
    assert 'data-side-prefix="regions_treated_side_"' in body_map
    assert "data-score-prefix" not in body_map
    assert len(re.findall(r'<input type="checkbox" name="regions_treated"', page)) == 11
    assert len(re.findall(r'<select name="regions_treated_side_(\w+)"', page)) == 5


def test_a_draft_opens_with_its_regions_and_the_next_visit_starts_with_them(
    practitioner_client, acupuncturist, patient
):
    draft = TreatmentSessionFactory(
        patient=patient, created_by=acupuncturist, regions_treated=NECK_AND_LEFT_SHOULDER
    )

    for url in (f"/sessions/{draft.code}/edit/", _new_url(patient)):
        page = practitioner_client.get(url).content.decode()
        ticked = re.findall(
            r'<input type="checkbox" name="regions_treated" value="(\w+)"[^>]*checked', page
        )
        assert ticked == ["neck", "shoulders"], url
        assert re.search(
            r'<select name="regions_treated_side_shoulders"[^>]*>\s*<option value="both">'
            r'Both sides</option>\s*<option value="left" selected>',
            page,
        ), url
