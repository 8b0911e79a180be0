"""The body map's pure module (intake/body_map.py): regions with sides, their words,
their stored form, and the drawing's targets. No database."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake import body_map
from intake.body_map import TARGETS, MarkedRegion, drawn, from_stored, marked_regions, stored
from intake.vocabulary import BodyRegion

SIDED = ["shoulders", "hips", "legs", "feet", "arms"]
UNSIDED = ["head", "neck", "upper_back", "mid_back", "lower_back"]
# The smallest hit area, in the map's units, that is 44 px on a 375 px phone (the map
# is the width of the page's column there: 375 - 2 x 12 px).
PHONE_UNITS_FOR_44_PX = 44 / ((375 - 24) / body_map.WIDTH)


def test_the_regions_with_sides_are_the_paired_ones():
    assert sorted(body_map.SIDED_REGIONS) == sorted(SIDED)


@pytest.mark.parametrize(
    ("mark", "label", "patient_text", "audit_text"),
    [
        (
            MarkedRegion("legs", side="left", score=5),
            "Legs (left)",
            "Legs (left side, 5 out of 10)",
            "legs left 5",
        ),
        (
            MarkedRegion("shoulders"),
            "Shoulders / shoulder blades (both sides)",
            "Shoulders / shoulder blades (both sides)",
            "shoulders both None",
        ),
        (MarkedRegion("head", score=7), "Head", "Head (7 out of 10)", "head 7"),
        (MarkedRegion("neck"), "Neck", "Neck", "neck None"),
    ],
)
def test_a_marked_region_in_words(mark, label, patient_text, audit_text):
    assert (mark.label, mark.patient_text, mark.audit_text) == (label, patient_text, audit_text)


@pytest.mark.parametrize(
    ("region", "side", "score"),
    [
        ("elbow", "both", None),
        ("legs", "up", None),
        ("neck", "left", None),  # a neck has no sides
        ("head", "both", 11),
        ("feet", "", None),
    ],
)
def test_a_marked_region_refuses_what_the_vocabulary_does_not_have(region, side, score):
    with pytest.raises(ValueError):
        MarkedRegion(region, side=side, score=score)


def test_ticked_regions_take_their_side_and_a_side_alone_marks_nothing():
    marks = marked_regions(["neck", "legs", "other"], {"legs": "left", "arms": "right", "feet": ""})

    assert marks == [
        MarkedRegion("neck"),
        MarkedRegion("legs", side="left"),
        MarkedRegion("other"),
    ]


def test_an_empty_side_is_both_sides():
    assert marked_regions(["feet"], {"feet": ""}) == [MarkedRegion("feet", side="both")]


def test_regions_are_stored_once_each_in_the_vocabulary_order():
    marks = [MarkedRegion("legs", side="right"), MarkedRegion("head")]

    assert stored(marks) == [
        {"region": "head", "side": "both"},
        {"region": "legs", "side": "right"},
    ]
    with pytest.raises(ValueError, match="twice"):
        stored([MarkedRegion("legs", side="left"), MarkedRegion("legs", side="right")])


@pytest.mark.parametrize(
    "value",
    [
        "neck",
        [{"region": "neck"}],
        [{"region": "neck", "side": "both", "score": 3}],
        [{"region": "neck", "side": "left"}],
        [{"region": "knee", "side": "both"}],
        ["neck"],
    ],
)
def test_a_stored_list_that_is_not_regions_is_refused(value):
    with pytest.raises(ValueError):
        from_stored(value)


@given(
    st.lists(st.sampled_from(BodyRegion.values), unique=True).flatmap(
        lambda regions: st.tuples(
            st.just(regions),
            st.fixed_dictionaries(
                {r: st.sampled_from(["both", "left", "right", ""]) for r in SIDED}
            ),
        )
    )
)
def test_what_is_stored_reads_back_the_same(chosen_and_sides):
    chosen, sides = chosen_and_sides
    marks = marked_regions(chosen, sides)

    assert from_stored(stored(marks)) == marks
    assert [m.region for m in marks] == [r for r in BodyRegion.values if r in chosen]


# --- The drawing --------------------------------------------------------------------------


def _keyed(view):
    return {(t.region, t.side): t for t in TARGETS if t.view == view}


def test_the_back_figure_has_a_target_for_every_region_and_side_but_other():
    back = _keyed("back")
    expected = {(r, "") for r in UNSIDED} | {(r, s) for r in SIDED for s in ("left", "right")}

    assert set(back) == expected
    assert ("other", "") not in back


def test_the_front_figure_has_no_back_regions():
    assert {t.region for t in TARGETS if t.view == "front"} == {
        "head",
        "neck",
        "shoulders",
        "hips",
        "legs",
        "feet",
        "arms",
    }


def test_only_the_back_figure_takes_the_focus_in_the_vocabulary_order_left_before_right():
    focusable = [t.label for t in TARGETS if t.focusable]

    assert focusable == [
        "Head",
        "Neck",
        "Left shoulder / shoulder blade",
        "Right shoulder / shoulder blade",
        "Upper back",
        "Mid back",
        "Lower back",
        "Left hip / buttock",
        "Right hip / buttock",
        "Left leg",
        "Right leg",
        "Left foot",
        "Right foot",
        "Left arm / hand",
        "Right arm / hand",
    ]


def test_the_back_shows_the_left_side_on_the_left_and_the_front_on_the_right():
    back, front = _keyed("back"), _keyed("front")

    assert back[("legs", "left")].hit[0] < back[("legs", "right")].hit[0]
    assert front[("legs", "right")].hit[0] < front[("legs", "left")].hit[0]
    assert all(t.hit[0] >= body_map.FIGURE for t in front.values())


def test_every_hit_area_is_at_least_44_px_each_way_on_a_phone():
    small = [t.label for t in TARGETS if min(t.hit[2], t.hit[3]) < PHONE_UNITS_FOR_44_PX]

    assert small == []


def test_no_two_hit_areas_overlap():
    def overlap(a, b):
        ax, ay, aw, ah = a.hit
        bx, by, bw, bh = b.hit
        return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah

    assert [
        (a.label, b.label) for a, b in itertools.combinations(TARGETS, 2) if overlap(a, b)
    ] == []


def test_every_target_lies_inside_the_picture():
    for target in TARGETS:
        x, y, w, h = target.hit
        assert 0 <= x and x + w <= body_map.WIDTH and 0 <= y and y + h <= body_map.HEIGHT


def test_a_region_marked_on_one_side_fills_that_side_on_both_figures_with_its_score():
    chosen = {
        (d.target.view, d.target.region, d.target.side): d.score
        for d in drawn([MarkedRegion("legs", side="left", score=6), MarkedRegion("neck")])
        if d.chosen
    }

    assert chosen == {
        ("back", "legs", "left"): 6,
        ("front", "legs", "left"): 6,
        ("back", "neck", ""): None,
        ("front", "neck", ""): None,
    }


def test_both_sides_fill_both_and_nothing_marked_fills_nothing():
    both = {(d.target.view, d.target.side) for d in drawn([MarkedRegion("arms")]) if d.chosen}

    assert both == {("back", "left"), ("back", "right"), ("front", "left"), ("front", "right")}
    assert not any(d.chosen for d in drawn())


def test_numbers_are_written_for_svg_never_localised():
    leg = next(d for d in drawn() if d.target.region == "legs")

    assert leg.badge == {"x": "58.5", "y": "345"}
