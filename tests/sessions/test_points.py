"""Acupuncture point codes (docs/clinical-rules.md section 4): the WHO reference table, the parser
of what practitioners type, and the points field of the session form."""

import re
import time

import pytest
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sessions.models import Point, SessionPoint, TreatmentSession
from sessions.points import (
    MERIDIAN_ALIASES,
    SPINAL_LEVELS,
    NeedledPoint,
    ParsedPoints,
    add_points_to_text,
    all_codes,
    classical_codes,
    default_side,
    format_points,
    merge_points,
    parse_points,
)
from tests.factories import NEW_SESSION_FORM, IntakeFactory

# docs/clinical-rules.md section 4, written out here so that a change to the module's own table
# shows up as a failure rather than a new expectation.
WHO_MERIDIANS = {
    "LU": 11,
    "LI": 20,
    "ST": 45,
    "SP": 21,
    "HT": 9,
    "SI": 19,
    "BL": 67,
    "KI": 27,
    "PC": 9,
    "TE": 23,
    "GB": 44,
    "LR": 14,
    "GV": 28,
    "CV": 24,
}
MIDLINE = {"GV", "CV"}

# WHO's proposed standard international acupuncture nomenclature (1991), written out
# here from the published list: the 48 extra points by region, with their pinyin names.
EXTRA_POINTS = {
    "EX-HN": [
        "Sishencong",
        "Dangyang",
        "Yintang",
        "Yuyao",
        "Taiyang",
        "Erjian",
        "Qiuhou",
        "Shangyingxiang",
        "Neiyingxiang",
        "Juquan",
        "Haiquan",
        "Jinjin",
        "Yuye",
        "Yiming",
        "Jingbailao",
    ],
    "EX-CA": ["Zigong"],
    "EX-B": [
        "Dingchuan",
        "Jiaji",
        "Weiwanxiashu",
        "Pigen",
        "Xiajishu",
        "Yaoyi",
        "Yaoyan",
        "Shiqizhui",
        "Yaoqi",
    ],
    "EX-UE": [
        "Zhoujian",
        "Erbai",
        "Zhongquan",
        "Zhongkui",
        "Dagukong",
        "Xiaogukong",
        "Yaotongdian",
        "Wailaogong",
        "Baxie",
        "Sifeng",
        "Shixuan",
    ],
    "EX-LE": [
        "Kuangu",
        "Heding",
        "Baichongwo",
        "Neixiyan",
        "Xiyan",
        "Dannang",
        "Lanwei",
        "Neihuaijian",
        "Waihuaijian",
        "Bafeng",
        "Duyin",
        "Qiduan",
    ],
}
EXTRA_CODES = {
    f"{region}{number}": name
    for region, names in EXTRA_POINTS.items()
    for number, name in enumerate(names, start=1)
}
# Extra points on the midline, by their location: no side.
EXTRA_MIDLINE = {"EX-HN1", "EX-HN3", "EX-HN10", "EX-HN11", "EX-B5", "EX-B8", "EX-B9"}
# Names a WHO point bears too (LI2 Erjian, CV19 Zigong): typed by code only.
SHARED_NAMES = {"EX-HN6": "LI2", "EX-CA1": "CV19"}

# Other spellings practitioners type (docs/clinical-rules.md section 4), by WHO meridian code.
SPELLINGS = {
    **{meridian: [meridian] for meridian in WHO_MERIDIANS},
    "BL": ["BL", "UB"],
    "TE": ["TE", "TW", "SJ", "TB"],
    "GV": ["GV", "Du"],
    "CV": ["CV", "Ren", "RN"],
    "LR": ["LR", "LV"],
    "PC": ["PC", "P"],
    "HT": ["HT", "H"],
}
# How a side may be written after a code.
SIDE_SPELLINGS = {
    "left": ["L", "l", "left", "Left", "LEFT", "(L)", "(l)"],
    "right": ["R", "r", "right", "Right", "RIGHT", "(R)", "(r)"],
    "bilateral": ["", "bilateral", "Bilateral"],
    "midline": [""],
}


def _meridian_and_number(code: str) -> tuple[str, int]:
    match = re.fullmatch(r"([A-Z]+)(\d+)", code)
    assert match, code
    return match[1], int(match[2])


def _points(*pairs) -> tuple[NeedledPoint, ...]:
    return tuple(NeedledPoint(code, side) for code, side in pairs)


# --- The WHO reference table ------------------------------------------------------------


@pytest.mark.django_db
def test_the_point_table_holds_the_361_who_points_and_the_48_extra_points():
    assert Point.objects.filter(meridian__in=WHO_MERIDIANS).count() == 361
    assert Point.objects.filter(code__startswith="EX-").count() == 48
    assert Point.objects.count() == 361 + 48


@pytest.mark.django_db
def test_each_meridian_and_region_has_the_number_of_points_of_the_who_standard():
    counts = dict(
        Point.objects.values_list("meridian").annotate(n=Count("id")).values_list("meridian", "n")
    )
    regions = {region: len(names) for region, names in EXTRA_POINTS.items()}
    assert counts == {**WHO_MERIDIANS, **regions}
    assert sum(WHO_MERIDIANS.values()) == 361
    assert regions == {"EX-HN": 15, "EX-CA": 1, "EX-B": 9, "EX-UE": 11, "EX-LE": 12}


@pytest.mark.django_db
def test_point_codes_are_meridian_and_number_without_spaces_and_numbered_without_gaps():
    groups = {**WHO_MERIDIANS, **{region: len(names) for region, names in EXTRA_POINTS.items()}}
    numbers = {group: [] for group in groups}
    for point in Point.objects.all():
        assert point.code == f"{point.meridian}{point.number}"
        numbers[point.meridian].append(point.number)
    for group, count in groups.items():
        assert sorted(numbers[group]) == list(range(1, count + 1)), group


@pytest.mark.django_db
def test_every_extra_point_carries_the_code_and_name_of_the_published_list():
    assert dict(Point.objects.filter(code__startswith="EX-").values_list("code", "pinyin")) == (
        EXTRA_CODES
    )
    # GV29 is Yintang's later code, not a point of its own.
    assert not Point.objects.filter(code="GV29").exists()


@pytest.mark.django_db
def test_every_point_has_a_pinyin_name():
    assert not Point.objects.filter(pinyin="").exists()
    assert all(name.strip() for name in Point.objects.values_list("pinyin", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "pinyin"),
    [
        ("LI4", "Hegu"),
        ("GB20", "Fengchi"),
        ("ST36", "Zusanli"),
        ("BL23", "Shenshu"),
        ("GV20", "Baihui"),
    ],
)
def test_well_known_points_carry_their_names(code, pinyin):
    assert Point.objects.get(code=code).pinyin == pinyin


@pytest.mark.django_db
def test_all_codes_are_the_codes_of_the_point_table_in_the_standards_order():
    assert all_codes() == list(Point.objects.order_by("id").values_list("code", flat=True))


def test_all_codes_lists_the_361_then_the_48_extra_points_distinct():
    codes = all_codes()
    assert len(codes) == len(set(codes)) == 361 + 48
    assert codes[:361] == classical_codes()
    assert set(codes[361:]) == set(EXTRA_CODES)


# --- Parsing what practitioners type ------------------------------------------------------


def test_the_example_from_the_contract_reads_as_three_points_with_their_sides():
    assert parse_points("GB20 L, BL23, li4") == ParsedPoints(
        points=_points(("GB20", "left"), ("BL23", "bilateral"), ("LI4", "bilateral"))
    )


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("LI4", "LI4"),
        ("li4", "LI4"),
        ("LI 4", "LI4"),
        ("LI-4", "LI4"),
        ("UB-23", "BL23"),
        ("ub23", "BL23"),
        ("Du20", "GV20"),
        ("TW5", "TE5"),
        ("SJ5", "TE5"),
        ("TB5", "TE5"),
        ("Ren12", "CV12"),
        ("RN12", "CV12"),
        ("LV3", "LR3"),
        ("P6", "PC6"),
        ("H7", "HT7"),
    ],
)
def test_spellings_in_common_use_are_read_as_the_who_code(typed, code):
    parsed = parse_points(typed)
    assert parsed.ok, parsed.errors()
    assert [point.code for point in parsed.points] == [code]


@pytest.mark.parametrize(
    ("typed", "side"),
    [
        ("GB20 L", "left"),
        ("GB20 R", "right"),
        ("GB20 left", "left"),
        ("GB20 right", "right"),
        ("GB20 (L)", "left"),
        ("GB20 bilateral", "bilateral"),
        ("GB20", "bilateral"),
    ],
)
def test_a_point_on_a_paired_channel_takes_a_side_and_is_bilateral_by_default(typed, side):
    assert parse_points(typed).points == _points(("GB20", side))


@pytest.mark.parametrize("typed", ["GV20", "Du20", "CV12", "Ren 12"])
def test_a_point_on_the_midline_is_midline(typed):
    parsed = parse_points(typed)
    assert parsed.ok
    assert [point.side for point in parsed.points] == ["midline"]


@pytest.mark.parametrize(
    ("typed", "code"), [("GV20 L", "GV20"), ("Du20 R", "GV20"), ("CV12 left", "CV12")]
)
def test_a_midline_point_given_a_side_is_an_error_naming_the_code(typed, code):
    parsed = parse_points(typed)
    assert not parsed.ok
    assert len(parsed.errors()) == 1
    assert code in parsed.errors()[0]
    assert code not in [point.code for point in parsed.points]


def test_unknown_codes_are_all_named_in_one_error_message():
    parsed = parse_points("LU12, GB20, BL68, XX1")
    assert not parsed.ok
    assert parsed.unknown == ("LU12", "BL68", "XX1")
    assert len(parsed.errors()) == 1
    message = parsed.errors()[0]
    for code in ("LU12", "BL68", "XX1"):
        assert code in message
    assert "GB20" not in message


def test_the_last_point_of_each_meridian_is_known_and_the_next_number_is_not():
    for meridian, count in WHO_MERIDIANS.items():
        assert parse_points(f"{meridian}{count}").ok, meridian
        after = count + 2 if meridian == "GV" else count + 1  # GV29 is Yintang
        assert parse_points(f"{meridian}{after}").unknown == (f"{meridian}{after}",)
        assert parse_points(f"{meridian}0").unknown == (f"{meridian}0",)


def test_the_last_extra_point_of_each_region_is_known_and_the_next_number_is_not():
    for region, names in EXTRA_POINTS.items():
        count = len(names)
        assert parse_points(f"{region}{count}").points[0].code == f"{region}{count}"
        assert parse_points(f"{region}{count + 1}").unknown == (f"{region}{count + 1}",)
        assert parse_points(f"{region}0").unknown == (f"{region}0",)


def test_a_point_written_twice_is_kept_once_in_its_first_place():
    assert parse_points("GB20, BL23, gb-20, LI4").points == _points(
        ("GB20", "bilateral"), ("BL23", "bilateral"), ("LI4", "bilateral")
    )


def test_the_same_point_on_the_left_and_then_the_right_becomes_bilateral():
    assert parse_points("LI4 L, GB20, LI4 R").points == _points(
        ("LI4", "bilateral"), ("GB20", "bilateral")
    )


def test_the_same_point_twice_on_the_same_side_stays_on_that_side():
    assert parse_points("LI4 L, li-4 left").points == _points(("LI4", "left"))


def test_format_points_writes_the_canonical_list():
    parsed = parse_points("gb-20 left; ub 23, Du20, li4 (R), ren12\nP6")
    assert parsed.ok
    assert format_points(parsed.points) == "GB20 L, BL23, GV20, LI4 R, CV12, PC6"


def test_empty_text_is_no_points_and_no_error():
    assert parse_points("") == ParsedPoints(points=())
    assert parse_points(" ,\n; ") == ParsedPoints(points=())


@pytest.mark.parametrize("typed", ["GB20\nBL 23", "GB20\nBL-23", "GB20 BL-23", "CV12\nBL 23"])
def test_bl_with_a_space_or_hyphen_after_a_code_without_a_side_is_read_as_bl(typed):
    parsed = parse_points(typed)
    assert parsed.ok, parsed.errors()
    assert "BL23" in [point.code for point in parsed.points]


# --- Extra points ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("EX-HN3", "EX-HN3"),
        ("exhn3", "EX-HN3"),
        ("EX HN 3", "EX-HN3"),
        ("ex-hn-3", "EX-HN3"),
        ("Ex.Hn.3", "EX-HN3"),
        ("EX-HN15", "EX-HN15"),
        ("ex-b2", "EX-B2"),
        ("EX CA 1", "EX-CA1"),
        ("ex-ue-7", "EX-UE7"),
        ("EXLE12", "EX-LE12"),
        ("Yintang", "EX-HN3"),
        ("yintang", "EX-HN3"),
        ("YINTANG", "EX-HN3"),
        ("Yìntáng", "EX-HN3"),
        ("Yin Tang", "EX-HN3"),
        ("Yi\u0300ntang", "EX-HN3"),
        ("Taiyang", "EX-HN5"),
        ("Sishencong", "EX-HN1"),
        ("Jiaji", "EX-B2"),
        ("Huatuojiaji", "EX-B2"),
        ("Hua Tuo Jia Ji", "EX-B2"),
        ("Yaoyan", "EX-B7"),
        ("Shiqizhui", "EX-B8"),
        ("Yaotongdian", "EX-UE7"),
        ("Bailao", "EX-HN15"),
        ("GV29", "EX-HN3"),
        ("gv-29", "EX-HN3"),
        ("Du29", "EX-HN3"),
    ],
)
def test_extra_points_are_read_by_code_as_practitioners_write_it_and_by_name(typed, code):
    parsed = parse_points(typed)
    assert parsed.ok, parsed.errors()
    assert [point.code for point in parsed.points] == [code]


@pytest.mark.parametrize(("code", "name"), sorted(EXTRA_CODES.items()))
def test_every_extra_point_is_read_by_its_code_and_by_its_name_unless_a_who_point_shares_it(
    code, name
):
    assert parse_points(code).points[0].code == code
    by_name = parse_points(name.lower())
    if code in SHARED_NAMES:
        assert not by_name.ok
        assert by_name.errors() == [
            f"{name.lower()} names both {SHARED_NAMES[code]} and {code}: type the code."
        ]
    else:
        assert by_name.ok, by_name.errors()
        assert by_name.points[0].code == code


def test_gv29_is_yintang_and_written_back_as_yintang_not_as_a_362nd_point():
    parsed = parse_points("GV20, GV29, Yintang")
    assert parsed.points == _points(("GV20", "midline"), ("EX-HN3", "midline"))
    assert format_points(parsed.points) == "GV20, Yintang"


@pytest.mark.parametrize(
    ("typed", "side"),
    [
        ("Taiyang", "bilateral"),
        ("Taiyang R", "right"),
        ("taiyang (l)", "left"),
        ("EX-HN5L", "left"),
    ],
)
def test_a_paired_extra_point_takes_a_side_and_is_bilateral_by_default(typed, side):
    assert parse_points(typed).points == _points(("EX-HN5", side))


@pytest.mark.parametrize("code", sorted(EXTRA_CODES))
def test_extra_points_on_the_midline_take_no_side_and_paired_ones_are_bilateral(code):
    expected = {"EX-HN12": "left", "EX-HN13": "right"}.get(code)
    expected = expected or ("midline" if code in EXTRA_MIDLINE else "bilateral")
    assert default_side(code) == expected
    assert parse_points(code).points[0].side == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Yintang R", "Yintang is on the midline and takes no side (L / R)."),
        ("GV29 L", "Yintang is on the midline and takes no side (L / R)."),
        ("Shiqizhui left", "Shiqizhui is on the midline and takes no side (L / R)."),
        ("EX-HN1 R", "Sishencong is on the midline and takes no side (L / R)."),
        ("Jinjin R", "Jinjin is a single point on one side and takes no side (L / R)."),
    ],
)
def test_an_extra_point_without_sides_given_a_side_is_an_error_naming_it(typed, message):
    parsed = parse_points(typed)
    assert not parsed.points
    assert parsed.errors() == [message]


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("Jiaji L4", "Jiaji L4"),
        ("jiaji l4", "Jiaji L4"),
        ("Jiaji L3-L5", "Jiaji L3-L5"),
        ("Jiaji L3-5", "Jiaji L3-L5"),
        ("Jiaji L3 - L5", "Jiaji L3-L5"),
        ("Jiaji L5-L3", "Jiaji L3-L5"),
        ("Jiaji L4-L4", "Jiaji L4"),
        ("Huatuojiaji T1-T12", "Jiaji T1-T12"),
        ("Jiaji T12-L2", "Jiaji T12-L2"),
        ("EX-B2 L4", "Jiaji L4"),
        ("Jiaji L4 L", "Jiaji L4 L"),
        ("Jiaji T6 (R)", "Jiaji T6 R"),
        ("Jiaji", "Jiaji"),
        ("Jiaji L", "Jiaji L"),
    ],
)
def test_jiaji_keeps_its_level_or_range_as_written_in_normal_spelling(typed, written):
    parsed = parse_points(typed)
    assert parsed.ok, parsed.errors()
    assert format_points(parsed.points) == written


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("EX-B2, L4", "Jiaji L4"),  # picked from the list, then the level typed
        ("Jiaji, L3-L5 R", "Jiaji L3-L5 R"),
        ("EX-B2; t12-l2, GB20", "Jiaji T12-L2, GB20"),
    ],
)
def test_a_jiaji_level_typed_after_a_pick_belongs_to_it(typed, written):
    parsed = parse_points(typed)
    assert parsed.ok, parsed.errors()
    assert format_points(parsed.points) == written


def test_a_long_list_of_unknown_words_names_each_once_in_the_order_typed():
    # Each unknown word is noted once; the check costs the same however many there are.
    words = [f"w{number}" for number in range(20_000)]
    parsed = parse_points(" ".join(words + words))
    assert parsed.unknown == tuple(words)


def test_jiaji_at_two_levels_is_two_entries_and_the_same_level_twice_is_one():
    parsed = parse_points("Jiaji L4 L, Jiaji L5, jiaji l4 r, BL23")
    assert parsed.points == (
        NeedledPoint("EX-B2", "bilateral", "L4"),
        NeedledPoint("EX-B2", "bilateral", "L5"),
        NeedledPoint("BL23", "bilateral"),
    )


@pytest.mark.parametrize("level", ["C5", "C7-T2", "T13", "L6", "T0", "S1", "L4-S1"])
def test_a_jiaji_level_outside_t1_to_l5_is_an_error_naming_what_was_typed(level):
    parsed = parse_points(f"GB20, Jiaji {level}, BL23")
    assert not parsed.ok
    assert parsed.errors() == [f"Not a Jiaji level (T1 to L5): Jiaji {level}."]
    assert [point.code for point in parsed.points] == ["GB20", "BL23"]


def test_every_bad_code_and_level_is_named_in_the_errors():
    parsed = parse_points("EX-HN16, Jiaji C5, EX-B2 L6, GV30, Yintang, XX1")
    assert parsed.errors() == [
        "Not WHO point codes: EX-HN16, GV30, XX1.",
        "Not Jiaji levels (T1 to L5): Jiaji C5, EX-B2 L6.",
    ]
    assert parsed.points == _points(("EX-HN3", "midline"))


def test_a_protocol_merged_into_typed_points_keeps_jiaji_levels_apart():
    typed = parse_points("Jiaji L4 R, GB20").points
    protocol = parse_points("Yintang, Taiyang, Jiaji L3-L5, Jiaji L4").points
    assert format_points(merge_points(typed, protocol)) == (
        "Jiaji L4 R, GB20, Yintang, Taiyang, Jiaji L3-L5"
    )


@pytest.mark.parametrize("typed", ["LI4 b\u0131l", "LI4 B\u0130LAT", "GB20 b\u0131lateral, BL23"])
def test_parse_never_raises_on_a_side_word_with_a_turkish_i(typed):
    parsed = parse_points(typed)
    # Either read as bilateral or reported; anything but an exception.
    assert parsed.points or parsed.unknown


# --- A side typed after the comma the completion leaves ----------------------------------
# Picking GB20 from the completion list writes "GB20, "; a side typed next lands after the
# comma. A side word alone is never a code, so it is the side of the code before it.


@pytest.mark.parametrize(
    ("typed", "side"),
    [
        ("GB20, L", "left"),
        ("GB20, R", "right"),
        ("gb20,l", "left"),
        ("GB20; right", "right"),
        ("GB20,  (L)", "left"),
        ("GB20, left, ", "left"),
        ("GB20,\nR", "right"),
        ("GB20, bilat", "bilateral"),
    ],
)
def test_a_side_alone_after_a_code_and_a_comma_is_the_side_of_that_code(typed, side):
    assert parse_points(typed) == ParsedPoints(points=_points(("GB20", side)))


def test_a_side_after_a_comma_reads_in_a_list_as_it_would_without_the_comma():
    with_commas = parse_points("GB20, L, BL23, LI4, R, ST36")
    assert with_commas == parse_points("GB20 L, BL23, LI4 R, ST36")
    assert format_points(with_commas.points) == "GB20 L, BL23, LI4 R, ST36"


def test_a_second_side_for_a_code_that_has_one_is_an_error():
    parsed = parse_points("GB20 L, R")
    assert parsed.unknown == ("R",)
    assert parsed.points == _points(("GB20", "left"))


def test_a_side_after_a_comma_on_a_midline_point_is_the_midline_error():
    parsed = parse_points("GV20, L, BL23")
    assert parsed.sided_midline == ("GV20",)
    assert parsed.unknown == ()
    assert parsed.points == _points(("BL23", "bilateral"))


def test_a_side_after_an_unknown_code_is_not_reported_on_its_own():
    parsed = parse_points("LU12, L")
    assert parsed.unknown == ("LU12",)


@pytest.mark.parametrize(
    "typed",
    [
        "GB20, L 3",  # "L 3" is a code (an unknown one), not a side
        "GB20, LI4",
        "GB20, lu7",
        "GB20 and L",  # only a comma or semicolon
        "GB20, Lo",
    ],
)
def test_a_word_after_a_comma_that_is_not_a_side_alone_is_not_taken_as_one(typed):
    parsed = parse_points(typed)
    assert parsed.points[0] == NeedledPoint("GB20", "bilateral")


# --- A protocol's points added to what was typed -------------------------------------------


@pytest.mark.parametrize(
    ("typed", "merged"),
    [
        ("", "GB20, BL10, SI3"),
        ("GB20", "GB20, BL10, SI3"),
        ("gb 20 l", "GB20 L, BL10, SI3"),
        ("GB-20 R, li4", "GB20 R, LI4, BL10, SI3"),
        ("GB20, L", "GB20 L, BL10, SI3"),
        ("si3 (R), ub10, gb20 left", "SI3 R, BL10, GB20 L"),
        ("LI4\nGB20 L\n", "LI4, GB20 L, BL10, SI3"),
    ],
)
def test_a_protocol_adds_only_the_points_not_typed_and_keeps_the_sides_typed(typed, merged):
    protocol = parse_points("GB20, BL10, SI3").points
    assert add_points_to_text(typed, protocol) == merged


@pytest.mark.parametrize(
    ("typed", "merged"),
    [
        # The mistake stays for the practitioner to fix; GB20 is not added a second time.
        ("gb 20 l, XX1", "gb 20 l, XX1, BL10, SI3"),
        ("GB-20 R, LU12, ", "GB-20 R, LU12, BL10, SI3"),
        ("GB20, L, R", "GB20, L, R, BL10, SI3"),
        ("XX1, bl10, si3, gb20", "XX1, bl10, si3, gb20"),
        ("GV20 L", "GV20 L, GB20, BL10, SI3"),
    ],
)
def test_a_list_with_a_mistake_is_kept_as_typed_and_gets_only_the_points_it_lacks(typed, merged):
    protocol = parse_points("GB20, BL10, SI3").points
    assert add_points_to_text(typed, protocol) == merged


def test_a_midline_point_typed_with_a_side_is_not_added_again_by_a_protocol():
    assert add_points_to_text("GV20 L", parse_points("GV20, LI4").points) == "GV20 L, LI4"


# --- Properties -------------------------------------------------------------------------

CODES = all_codes()


# Other names of extra points practitioners type.
OTHER_NAMES = {"EX-B2": ["Huatuojiaji"], "EX-HN15": ["Bailao"]}


@st.composite
def jiaji_levels(draw):
    """A level or range of Jiaji as the parser writes it, or none."""
    if draw(st.booleans()):
        return ""
    top, bottom = sorted(
        draw(st.lists(st.sampled_from(range(len(SPINAL_LEVELS))), min_size=2, max_size=2))
    )
    if top == bottom:
        return SPINAL_LEVELS[top]
    return f"{SPINAL_LEVELS[top]}-{SPINAL_LEVELS[bottom]}"


@st.composite
def needled_points(draw, max_size=12):
    """A list of valid points, each code once (Jiaji once a level), with a side that
    suits the point."""
    codes = draw(st.lists(st.sampled_from(CODES), unique=True, max_size=max_size))
    points = []
    for code in codes:
        levels = (
            draw(st.lists(jiaji_levels(), unique=True, min_size=1, max_size=3))
            if code == "EX-B2"
            else [""]
        )
        for level in levels:
            if default_side(code) != "bilateral":
                side = default_side(code)
            else:
                side = draw(st.sampled_from(["left", "right", "bilateral"]))
            points.append(NeedledPoint(code, side, level))
    return tuple(points)


def _random_case(draw, text: str) -> str:
    return "".join(letter.upper() if draw(st.booleans()) else letter.lower() for letter in text)


def _write_level(draw, level: str) -> str:
    first, _, last = level.partition("-")
    if not last:
        return _random_case(draw, first)
    if draw(st.booleans()):
        first, last = last, first  # bottom up: "L5-L3"
    if first[0] == last[0] and draw(st.booleans()):
        last = last[1:]  # "L3-5"
    dash = draw(st.sampled_from(["-", " - ", "\u2013"]))
    return _random_case(draw, f"{first}{dash}{last}")


def _write_extra(draw, point: NeedledPoint) -> tuple[str, bool]:
    """An extra point by code or by name; and whether a side may follow without a gap."""
    if point.code in SHARED_NAMES or draw(st.booleans()):
        if point.code == "EX-HN3" and draw(st.booleans()):
            return _random_case(draw, draw(st.sampled_from(["GV29", "gv 29", "Du-29"]))), True
        region, number = re.fullmatch(r"EX-([A-Z]+)(\d+)", point.code).groups()
        first, second = (draw(st.sampled_from(["", " ", "-", "."])) for _ in range(2))
        return _random_case(draw, f"EX{first}{region}{second}{number}"), True
    name = draw(st.sampled_from([EXTRA_CODES[point.code], *OTHER_NAMES.get(point.code, [])]))
    # A space where a syllable might end ("Yin tang"), never after a first letter alone:
    # "B aichongwo" is how no one types a name, and "B" is a side.
    gap = draw(st.sampled_from([0, *range(2, len(name) - 1)]))
    if gap:
        name = f"{name[:gap]} {name[gap:]}"
    return _random_case(draw, name), False


def _write_point(draw, point: NeedledPoint) -> str:
    if point.code in EXTRA_CODES:
        spelled, close_side = _write_extra(draw, point)
    else:
        meridian, number = _meridian_and_number(point.code)
        spelled = _random_case(draw, draw(st.sampled_from(SPELLINGS[meridian])))
        spelled += draw(st.sampled_from(["", " ", "-"])) + str(number)
        close_side = True
    if point.level:
        spelled += " " + _write_level(draw, point.level)
        close_side = False
    side = draw(st.sampled_from(SIDE_SPELLINGS[point.side])) if point.takes_side else ""
    side_gap = draw(st.sampled_from([" ", ""] if close_side else [" "])) if side else ""
    return f"{spelled}{side_gap}{side}"


@st.composite
def written_points(draw, joiners=(", ", "; ", "\n")):
    """(points, the same points as a practitioner might type them)."""
    points = draw(needled_points())
    tokens = [_write_point(draw, point) for point in points]
    text = ""
    for i, token in enumerate(tokens):
        text += (draw(st.sampled_from(joiners)) if i else "") + token
    return points, text


# Arbitrary text, and text made of the pieces the parser looks for.
FRAGMENTS = st.one_of(
    st.sampled_from(CODES),
    st.sampled_from(sorted(MERIDIAN_ALIASES)),
    st.sampled_from([*EXTRA_CODES.values(), "Huatuojiaji", "GV29", "EX", "HN", "EX-B"]),
    st.sampled_from(["L4", "L3-L5", "T1-T12", "C5", "T13", "L6", "S1", "l3-5", "\u0301"]),
    st.sampled_from(["L", "R", "(L)", "left", "right", "bilat", "both", " ", "-", ".", "("]),
    st.sampled_from([", ", "; ", "\n", "and", "/", "+", "&"]),
    st.integers(min_value=0, max_value=10**6).map(str),
    st.text(max_size=5),
)
ANY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.text(alphabet=st.characters(categories=["Cc", "Cs", "Zs", "Nd"]), max_size=50),
    st.lists(FRAGMENTS, max_size=30).map("".join),
)


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_parse_never_raises_on_arbitrary_text(text):
    parsed = parse_points(text)
    assert isinstance(parsed, ParsedPoints)
    assert all(point.code in CODES for point in parsed.points)
    assert isinstance(parsed.errors(), list)


def test_parse_never_raises_on_huge_text():
    huge = (
        "LI4 L, BL23; " * 20_000
        + "9" * 50_000
        + ", LU"
        + "1" * 5_000
        + "\x00\x1b\u200b\ufeff" * 10_000
        + " word" * 10_000
    )
    parsed = parse_points(huge)
    assert parsed.points == _points(("LI4", "left"), ("BL23", "bilateral"))
    assert not parsed.ok


def test_parse_reads_a_long_run_of_letters_quickly():
    started = time.perf_counter()
    parsed = parse_points("x" * 8_000)
    elapsed = time.perf_counter() - started
    assert parsed.unknown == ("x" * 8_000,)
    assert elapsed < 0.5


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written_points(joiners=(", ", "; ")))
def test_points_typed_in_any_style_separated_by_commas_read_back_as_the_same_points(case):
    points, text = case
    parsed = parse_points(text)
    assert parsed.ok, (text, parsed.errors())
    assert parsed.points == points


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written_points())
@example((_points(("LI4", "bilateral"), ("BL23", "bilateral")), "LI4\nBL 23"))
def test_points_typed_in_any_style_one_per_line_or_comma_read_back_as_the_same_points(case):
    points, text = case
    parsed = parse_points(text)
    assert parsed.ok, (text, parsed.errors())
    assert parsed.points == points


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(ANY_TEXT, written_points().map(lambda case: case[1])))
def test_the_canonical_text_of_parsed_points_parses_back_to_the_same_points(text):
    points = parse_points(text).points
    again = parse_points(format_points(points))
    assert again.ok
    assert again.points == points


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(ANY_TEXT, written_points().map(lambda case: case[1])))
def test_text_written_twice_gives_the_same_points_as_written_once(text):
    assert parse_points(f"{text}, {text}").points == parse_points(text).points


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written_points(joiners=(", ", "; ")), st.data())
def test_points_picked_from_the_completion_then_given_a_side_read_as_typed_with_the_side(
    case, data
):
    # The completion writes "CODE, "; the practitioner types the side after it, then a
    # comma, a space or a new line before the next code.
    points, _ = case
    text = ""
    for point in points:
        spellings = SIDE_SPELLINGS[point.side] if point.takes_side else [""]
        side = data.draw(st.sampled_from(spellings))
        level = f" {point.level}" if point.level else ""  # "EX-B2 L4", typed after a pick
        text += f"{point.code}{level}, {side}"
        if side:
            text += data.draw(st.sampled_from([", ", " ", "\n"]))
    parsed = parse_points(text)
    assert parsed.ok, (text, parsed.errors())
    assert parsed.points == points


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(ANY_TEXT, written_points().map(lambda case: case[1])),
    needled_points(max_size=8),
)
def test_a_protocol_added_to_any_text_adds_each_of_its_points_once_and_keeps_those_typed(
    text, protocol
):
    typed = parse_points(text)
    merged = add_points_to_text(text, protocol)
    after = parse_points(merged)
    typed_codes = {point.code for point in typed.points} | set(typed.sided_midline)
    added = [point for point in protocol if point.code not in typed_codes]
    # Every point typed keeps its side; the protocol's new points come after them, and
    # the mistakes typed are still there to fix.
    assert after.points[: len(typed.points)] == typed.points
    assert after.points[len(typed.points) :] == tuple(added)
    assert after.unknown == typed.unknown
    assert after.sided_midline == typed.sided_midline


UNKNOWN_LETTERS = (
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=3)
    # "EXB3" is an extra point's code, EX-B3.
    .filter(lambda letters: letters not in MERIDIAN_ALIASES and letters != "EXB")
    .map(lambda letters: (letters, 0))
)
KNOWN_MERIDIAN = st.sampled_from(sorted(WHO_MERIDIANS)).map(
    lambda meridian: (meridian, WHO_MERIDIANS[meridian])
)


@st.composite
def invalid_code(draw):
    """A code that is not a WHO point, written as a practitioner might."""
    letters, count = draw(st.one_of(KNOWN_MERIDIAN, UNKNOWN_LETTERS))
    if count:
        # GV29 is Yintang (EX-HN3): the Governor Vessel's first free number is 30.
        first_free = count + 2 if letters == "GV" else count + 1
        number = draw(st.one_of(st.integers(first_free, 999), st.just(0)))
        letters = draw(st.sampled_from(SPELLINGS[letters]))
    else:
        number = draw(st.integers(1, 999))
    separator = draw(st.sampled_from(["", " ", "-"]))
    return f"{_random_case(draw, letters)}{separator}{number}"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    written_points(joiners=(", ", "; ")),
    st.lists(invalid_code(), min_size=1, max_size=5),
    st.randoms(use_true_random=False),
)
def test_every_invalid_code_is_reported_and_no_valid_code_is(case, invalid, random):
    points, text = case
    tokens = [token for token in re.split(r", |; ", text) if token] + invalid
    random.shuffle(tokens)
    parsed = parse_points(", ".join(tokens))
    assert not parsed.ok
    for token in invalid:
        assert token in parsed.unknown
    assert set(parsed.unknown) == set(invalid)
    assert not set(CODES) & {code.upper() for code in parsed.unknown}
    assert set(parsed.points) == set(points)
    message = " ".join(parsed.errors())
    for token in invalid:
        assert token in message


# --- Through the session form -------------------------------------------------------------


def _new_session_url(patient) -> str:
    return f"/patients/{patient.code}/sessions/new/"


def _session_data(**overrides) -> dict:
    data = {
        "date": timezone.localdate().isoformat(),
        "pain_before": "6",
        "points": "",
        "modalities": ["manual_needling"],
        **NEW_SESSION_FORM,
    }
    data.update(overrides)
    return data


def _errors(response) -> list[str]:
    """The text of every error shown next to a field."""
    return [
        re.sub(r"<[^>]+>", "", error).strip()
        for error in re.findall(
            r'class="invalid-feedback"[^>]*>(.*?)</(?:div|span)>', response.content.decode(), re.S
        )
    ]


@pytest.fixture
def screened_patient(patient):
    IntakeFactory(patient=patient, submitted=True)
    return patient


@pytest.mark.django_db
def test_unknown_codes_typed_in_the_session_form_are_named_in_one_error_and_nothing_is_saved(
    client, acupuncturist, screened_patient
):
    client.force_login(acupuncturist)
    response = client.post(
        _new_session_url(screened_patient), _session_data(points="GB20 L, LU12, XX1")
    )
    assert response.status_code == 200
    naming = [error for error in _errors(response) if "LU12" in error or "XX1" in error]
    assert len(naming) == 1
    assert "LU12" in naming[0] and "XX1" in naming[0]
    assert not TreatmentSession.objects.exists()
    assert not SessionPoint.objects.exists()


@pytest.mark.django_db
def test_a_midline_point_with_a_side_in_the_session_form_is_an_error_naming_it(
    client, acupuncturist, screened_patient
):
    client.force_login(acupuncturist)
    response = client.post(_new_session_url(screened_patient), _session_data(points="Du20 L, LI4"))
    assert response.status_code == 200
    assert any("GV20" in error for error in _errors(response))
    assert not TreatmentSession.objects.exists()


@pytest.mark.django_db
def test_points_typed_in_the_session_form_are_stored_in_order_with_their_sides(
    client, acupuncturist, screened_patient
):
    client.force_login(acupuncturist)
    response = client.post(
        _new_session_url(screened_patient),
        _session_data(points="gb-20 L, UB 23, li4 (R), Du20, GB20 R, tw5"),
    )
    assert response.status_code == 302
    session = TreatmentSession.objects.get(patient=screened_patient)
    assert session.point_list() == _points(
        ("GB20", "bilateral"),
        ("BL23", "bilateral"),
        ("LI4", "right"),
        ("GV20", "midline"),
        ("TE5", "bilateral"),
    )
    assert session.points_text() == "GB20, BL23, LI4 R, GV20, TE5"


@pytest.mark.django_db
def test_a_side_word_with_a_turkish_i_in_the_session_form_does_not_crash_the_page(
    client, acupuncturist, screened_patient
):
    client.force_login(acupuncturist)
    response = client.post(
        _new_session_url(screened_patient), _session_data(points="LI4 b\u0131lat")
    )
    assert response.status_code in (200, 302)
