"""Acupuncture point codes as practitioners type them (docs/clinical-rules.md section 4).

Pure functions, no database: the WHO standard's 361 points are known from the
per-meridian counts, so "BL68" is rejected without a lookup, and the 48 extra
points (EX-HN3 Yintang, EX-B2 Jiaji, ...) from their data file,
sessions/data/who_extra_points.csv, read once here. Names for completion and
display come from the Point table, which the migrations load from the same files.

    >>> [str(point) for point in parse_points("GB20 L, UB-23, li 4, Du20").points]
    ['GB20 L', 'BL23', 'LI4', 'GV20']
    >>> [str(point) for point in parse_points("yintang, Taiyang R, jiaji l3-5").points]
    ['Yintang', 'Taiyang R', 'Jiaji L3-L5']
"""

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
WHO_POINTS_FILE = DATA_DIR / "who_points.csv"
EXTRA_POINTS_FILE = DATA_DIR / "who_extra_points.csv"

# WHO Standard Acupuncture Point Locations: 361 points on 14 meridians, in the
# standard's order.
MERIDIAN_POINT_COUNTS = {
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

MERIDIAN_NAMES = {
    "LU": "Lung",
    "LI": "Large Intestine",
    "ST": "Stomach",
    "SP": "Spleen",
    "HT": "Heart",
    "SI": "Small Intestine",
    "BL": "Bladder",
    "KI": "Kidney",
    "PC": "Pericardium",
    "TE": "Triple Energizer",
    "GB": "Gallbladder",
    "LR": "Liver",
    "GV": "Governor Vessel",
    "CV": "Conception Vessel",
}

# The vessels on the midline carry no side.
MIDLINE_MERIDIANS = frozenset({"GV", "CV"})

# Other spellings in common use, upper case, to the WHO code.
MERIDIAN_ALIASES = {
    **{code: code for code in MERIDIAN_POINT_COUNTS},
    "UB": "BL",
    "TW": "TE",
    "SJ": "TE",
    "TB": "TE",
    "DU": "GV",
    "REN": "CV",
    "RN": "CV",
    "LV": "LR",
    "LIV": "LR",
    "P": "PC",
    "H": "HT",
    "K": "KI",
    "KID": "KI",
}

BILATERAL = "bilateral"
LEFT = "left"
RIGHT = "right"
MIDLINE = "midline"

_SIDE_WORDS = {
    "l": LEFT,
    "lt": LEFT,
    "left": LEFT,
    "r": RIGHT,
    "rt": RIGHT,
    "right": RIGHT,
    "b": BILATERAL,
    "bil": BILATERAL,
    "bilat": BILATERAL,
    "bilateral": BILATERAL,
    "both": BILATERAL,
}
_SIDE_SHORT = {LEFT: "L", RIGHT: "R"}

MAX_POINTS = 60

# --- The extra points -------------------------------------------------------------------

# WHO's proposed standard international acupuncture nomenclature (1991): 48 extra
# points beside the 361, coded by region.
EXTRA_REGION_COUNTS = {"HN": 15, "CA": 1, "B": 9, "UE": 11, "LE": 12}
EXTRA_REGION_NAMES = {
    "EX-HN": "Extra points: head and neck",
    "EX-CA": "Extra points: chest and abdomen",
    "EX-B": "Extra points: back",
    "EX-UE": "Extra points: upper extremities",
    "EX-LE": "Extra points: lower extremities",
}
# What a point's group is called: its meridian, or its region of extra points.
GROUP_NAMES = {**MERIDIAN_NAMES, **EXTRA_REGION_NAMES}


@dataclass(frozen=True)
class ExtraPoint:
    code: str  # "EX-HN3"
    region: str  # "HN"
    number: int
    pinyin: str
    # The side when none is typed: bilateral for a paired point, midline on the
    # midline; Jinjin and Yuye are one point each, on the left and on the right.
    side: str
    other_names: tuple[str, ...] = ()
    # Codes of a later standard for the same point (Yintang is GV29 in 2008).
    other_codes: tuple[str, ...] = ()


def _read_extra_points() -> dict[str, ExtraPoint]:
    with EXTRA_POINTS_FILE.open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: ExtraPoint(
                code=row["code"],
                region=row["region"],
                number=int(row["number"]),
                pinyin=row["pinyin"],
                side=row["side"],
                other_names=tuple(filter(None, row["other_names"].split("|"))),
                other_codes=tuple(filter(None, row["other_codes"].split("|"))),
            )
            for row in csv.DictReader(handle)
        }


EXTRA_POINTS = _read_extra_points()

# Yintang typed as GV29 is Yintang: an alias of EX-HN3, not a 29th Governor Vessel point.
OTHER_CODES = {other: point.code for point in EXTRA_POINTS.values() for other in point.other_codes}

# Jiaji (Huatuojiaji): paravertebral points from T1 to L5, written with a level
# ("Jiaji L4") or a range ("Jiaji L3-L5").
JIAJI = "EX-B2"
SPINAL_LEVELS = (*(f"T{n}" for n in range(1, 13)), *(f"L{n}" for n in range(1, 6)))
LUMBAR_LEVELS = frozenset(f"L{n}" for n in range(1, 6))


def name_key(name: str) -> str:
    """How a name is compared: "Hua Tuo Jiā-jǐ" and "huatuojiaji" are one name."""
    decomposed = unicodedata.normalize("NFD", name)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalpha()).lower()


def _classical_names() -> dict[str, str]:
    with WHO_POINTS_FILE.open(encoding="utf-8", newline="") as handle:
        return {name_key(row["pinyin"]): row["code"] for row in csv.DictReader(handle)}


def _extra_names() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Names of the extra points, to their code; and the names that a WHO point
    also bears (Erjian is LI2 and EX-HN6), to both codes."""
    classical = _classical_names()
    names, ambiguous = {}, {}
    for point in EXTRA_POINTS.values():
        for name in (point.pinyin, *point.other_names):
            key = name_key(name)
            if key in classical:
                ambiguous[key] = (classical[key], point.code)
            else:
                names[key] = point.code
    return names, ambiguous


EXTRA_NAMES, AMBIGUOUS_NAMES = _extra_names()


def label(code: str) -> str:
    """How a point is written: WHO points by code, extra points by their pinyin name
    (as the clinic writes them), or by code when a WHO point bears the same name."""
    point = EXTRA_POINTS.get(code)
    if point is None or name_key(point.pinyin) not in EXTRA_NAMES:
        return code
    return point.pinyin


# --- Reading what is typed ----------------------------------------------------------------

# Accented Latin letters to their plain letter, one character for one, so that the
# names match "Yìntáng" and what is reported is still what was typed. The dotted
# capital I is left alone: no Unicode case folding turns it into a side.
_FOLD = {
    code: unicodedata.normalize("NFD", chr(code))[0]
    for code in range(0xC0, 0x250)
    if code != 0x130
    and len(unicodedata.normalize("NFD", chr(code))) > 1
    and unicodedata.normalize("NFD", chr(code))[0].isascii()
}


def _name_pattern(key: str) -> str:
    # Any letter may carry combining tone marks; a space, hyphen or apostrophe may
    # stand between letters ("Yin Tang", "Hua-tuo Jia-ji").
    return r"[\u0300-\u036f]*[\x20'\u2019-]?".join(re.escape(letter) for letter in key)


_NAMES = "|".join(
    _name_pattern(key) for key in sorted([*EXTRA_NAMES, *AMBIGUOUS_NAMES], key=len, reverse=True)
)

# A point: an extra point's code ("EX-HN3", "exhn3", "ex hn 3"), an extra point's
# name, or a WHO code: one to three letters (not the end of a longer word), an
# optional space, hyphen or dot, a number. ASCII only: no Unicode case folding
# turns a long s into ST.
_POINT = re.compile(
    rf"""
    (?<![A-Za-z])
    (?: (?P<region_code> EX \s* [-.]? \s* (?P<region>HN|CA|UE|LE|B) \s* [-.]? \s*
                         (?P<ex_number>\d+) )
      | (?P<name> {_NAMES} ) [\u0300-\u036f]* (?![A-Za-z])
      | (?P<meridian>[A-Za-z]{{1,3}}) \s* [-.]? \s* (?P<number>\d+) )
    """,
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)
# A side written after a point ("GB20 L", "GB20L", "GB20 (R)", "BL23 bilat"). A side
# word must end there and not be followed by a number, so "LI4 LU7" and "GB20 BL 23"
# read as two codes.
_SIDE = re.compile(
    r"""
    \s* \(? \s* (?P<side>bilateral|bilat|both|bil|left|right|lt|rt|l|r|b) \s* \)?
    (?![A-Za-z0-9]) (?!\s*[-.]?\s*\d)
    """,
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)
# A spinal level or range after Jiaji: "L4", "L3-L5", "l3-5", "T12-L2". C and S are
# read so that "Jiaji C5" is an error about the level, not an unknown code.
_LEVEL = re.compile(
    r"""
    \s+ (?P<first>[CTLS]) (?P<first_number>\d{1,3})
    (?: \s* [-\u2013] \s* (?P<last>[CTLS])? (?P<last_number>\d{1,3}) )?
    (?![A-Za-z0-9])
    """,
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)
# The same after a comma or semicolon ("EX-B2, L4"): the completion writes "EX-B2, " and
# the level is typed next. A level alone is never a point of its own.
_LEVEL_AFTER_SEPARATOR = re.compile(
    r"\s*[,;]" + _LEVEL.pattern, re.VERBOSE | re.IGNORECASE | re.ASCII
)
# A side written on its own after a code and a comma or semicolon ("GB20, L"): the point
# completion puts ", " after the code picked, and a side typed next lands there. A side
# word alone is never a code, so it belongs to the code before it, as if written "GB20 L".
_SIDE_AFTER_SEPARATOR = re.compile(
    r"""
    \s* [,;] \s* \(? \s* (?P<side>bilateral|bilat|both|bil|left|right|lt|rt|l|r|b) \s* \)?
    (?![A-Za-z0-9]) (?!\s*[-.]?\s*\d)
    """,
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)
# What may stand between codes.
_SEPARATORS = re.compile(r"[\s,;+/&]+|\band\b", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True)
class NeedledPoint:
    code: str
    side: str
    # Jiaji's spinal level or range ("L4", "L3-L5"); empty for every other point.
    level: str = ""

    @property
    def meridian(self) -> str:
        """The meridian ("GB"), or the region of an extra point ("EX-HN")."""
        return self.code.rstrip("0123456789")

    @property
    def label(self) -> str:
        """The point as written, without its side: "GB20", "Yintang", "Jiaji L3-L5"."""
        return f"{label(self.code)} {self.level}" if self.level else label(self.code)

    def __str__(self) -> str:
        short = _SIDE_SHORT.get(self.side)
        return f"{self.label} {short}" if short and self.takes_side else self.label

    @property
    def takes_side(self) -> bool:
        return default_side(self.code) == BILATERAL


@dataclass(frozen=True)
class ParsedPoints:
    points: tuple[NeedledPoint, ...]
    # What was typed that is not a WHO code, as typed, in order, once each.
    unknown: tuple[str, ...] = ()
    # Points on the midline (GV, CV, Yintang...) that were given a side.
    sided_midline: tuple[str, ...] = ()
    # Points that are one point on a side of their own (Jinjin, Yuye) given a side.
    sided_single: tuple[str, ...] = ()
    # Jiaji with a level outside T1-L5 ("Jiaji C5"), as typed.
    bad_levels: tuple[str, ...] = ()
    # Names that a WHO point and an extra point share ("Erjian"), as typed.
    ambiguous: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not (
            self.unknown
            or self.sided_midline
            or self.sided_single
            or self.bad_levels
            or self.ambiguous
        )

    def errors(self) -> list[str]:
        """Messages for a form: every problem named, one sentence each."""
        messages = []
        if self.unknown:
            names = ", ".join(self.unknown)
            if len(self.unknown) == 1:
                messages.append(f"Not a WHO point code: {names}.")
            else:
                messages.append(f"Not WHO point codes: {names}.")
        if self.bad_levels:
            names = ", ".join(self.bad_levels)
            if len(self.bad_levels) == 1:
                messages.append(f"Not a Jiaji level (T1 to L5): {names}.")
            else:
                messages.append(f"Not Jiaji levels (T1 to L5): {names}.")
        for typed in self.ambiguous:
            classical, extra = AMBIGUOUS_NAMES[name_key(typed)]
            messages.append(f"{typed} names both {classical} and {extra}: type the code.")
        if self.sided_midline:
            names = ", ".join(self.sided_midline)
            single = len(self.sided_midline) == 1
            messages.append(
                f"{names} {'is' if single else 'are'} on the midline and "
                f"{'takes' if single else 'take'} no side (L / R)."
            )
        for name in self.sided_single:
            messages.append(f"{name} is a single point on one side and takes no side (L / R).")
        return messages


def _is_classical(code: str) -> bool:
    meridian, number = code.rstrip("0123456789"), code[len(code.rstrip("0123456789")) :]
    count = MERIDIAN_POINT_COUNTS.get(meridian)
    return bool(count and number and not number.startswith("0") and 1 <= int(number) <= count)


def is_known_code(code: str) -> bool:
    return _is_classical(code) or code in EXTRA_POINTS


def classical_codes() -> list[str]:
    """The 361 codes of the WHO points, in the standard's order."""
    return [
        f"{meridian}{number}"
        for meridian, count in MERIDIAN_POINT_COUNTS.items()
        for number in range(1, count + 1)
    ]


def all_codes() -> list[str]:
    """The 361 codes in the standard's order, then the 48 extra points'."""
    return [*classical_codes(), *EXTRA_POINTS]


def normalise_code(meridian: str, number: str) -> str | None:
    """ "ub", "23" -> "BL23"; "Du", "29" -> "EX-HN3" (Yintang); None when it is not a point."""
    canonical = MERIDIAN_ALIASES.get(meridian.upper())
    if canonical is None:
        return None
    code = f"{canonical}{int(number)}" if number.isdigit() and len(number) <= 3 else None
    if code in OTHER_CODES:
        return OTHER_CODES[code]
    return code if code and _is_classical(code) else None


def normalise_extra_code(region: str, number: str) -> str | None:
    """ "hn", "3" -> "EX-HN3"; None when the region has no such point."""
    if not number.isdigit() or len(number) > 3:
        return None
    code = f"EX-{region.upper()}{int(number)}"
    return code if code in EXTRA_POINTS else None


def default_side(code: str) -> str:
    extra = EXTRA_POINTS.get(code)
    if extra is not None:
        return extra.side
    return MIDLINE if code.rstrip("0123456789") in MIDLINE_MERIDIANS else BILATERAL


def normalise_level(first: str, first_number: str, last: str | None, last_number: str | None):
    """ "l", "3", None, "5" -> "L3-L5"; None when a level is outside T1-L5. A range
    written bottom up is the same range; a range of one level is that level."""
    levels = [f"{first.upper()}{int(first_number)}"]
    if last_number is not None:
        levels.append(f"{(last or first).upper()}{int(last_number)}")
    if any(level not in SPINAL_LEVELS for level in levels):
        return None
    indexes = sorted({SPINAL_LEVELS.index(level) for level in levels})
    return "-".join(SPINAL_LEVELS[index] for index in (indexes[0], indexes[-1])[: len(indexes)])


def level_span(level: str) -> tuple[str, ...]:
    """The levels a Jiaji entry covers: "L3-L5" -> L3, L4, L5; no level is the
    whole of Jiaji, T1 to L5."""
    if not level:
        return SPINAL_LEVELS
    first, _, last = level.partition("-")
    top, bottom = SPINAL_LEVELS.index(first), SPINAL_LEVELS.index(last or first)
    return SPINAL_LEVELS[top : bottom + 1]


def _merge_sides(first: str, second: str) -> str:
    """The same point written twice: left and right together are both sides."""
    return first if first == second else BILATERAL


def _code_of(match: re.Match) -> str | None:
    if match["region_code"] is not None:
        return normalise_extra_code(match["region"], match["ex_number"])
    if match["name"] is not None:
        return EXTRA_NAMES.get(name_key(match["name"]))
    return normalise_code(match["meridian"], match["number"])


def parse_points(text: str) -> ParsedPoints:
    """Read a typed list of points; never raises.

    Aliases and spellings are normalised, duplicates dropped (a point given for
    the left and then the right becomes bilateral; Jiaji at two levels is two
    entries), and everything that is not a point is collected, as typed.
    """
    # Matched on the folded text; what is reported is cut from the text as typed
    # (the two are the same length).
    folded = text.translate(_FOLD)
    found: dict[tuple[str, str], str] = {}
    # Each kind's items once, in the order typed (a dict: a look-up costs the same
    # however much was typed).
    problems: dict[str, dict[str, None]] = {
        "unknown": {},
        "sided_midline": {},
        "sided_single": {},
        "bad_levels": {},
        "ambiguous": {},
    }

    def note(kind: str, item: str) -> None:
        problems[kind].setdefault(item, None)

    def leftover(chunk: str) -> None:
        for word in _SEPARATORS.split(chunk):
            if word:
                note("unknown", word)

    position = 0
    while (match := _POINT.search(folded, position)) is not None:
        leftover(text[position : match.start()])
        start, end = match.start(), match.end()
        code = _code_of(match)
        level = ""
        level_match = None
        if code == JIAJI:
            # "Jiaji L4", or "EX-B2, L4" (a level typed after a completion's pick).
            level_match = _LEVEL.match(folded, end) or _LEVEL_AFTER_SEPARATOR.match(folded, end)
        if level_match is not None:
            end = level_match.end()
            level = normalise_level(
                *level_match.group("first", "first_number", "last", "last_number")
            )
        # "GB20 L", or "GB20, L" (a side typed after a completion's pick, which is not
        # part of the point as typed when the point is not known).
        typed_end = None
        side_match = _SIDE.match(folded, end)
        if side_match is None:
            side_match = _SIDE_AFTER_SEPARATOR.match(folded, end)
            typed_end = end if side_match is not None else None
        if side_match is not None:
            end = side_match.end()
        position = end
        typed = " ".join(text[start : typed_end or end].split())
        if code is None:
            if match["name"] is not None and name_key(match["name"]) in AMBIGUOUS_NAMES:
                note("ambiguous", " ".join(text[start : match.end()].split()))
            else:
                note("unknown", typed)
            continue
        if level is None:
            note("bad_levels", " ".join(text[start : level_match.end()].split()))
            continue
        point = NeedledPoint(code, default_side(code), level)
        side = point.side
        if side_match is not None:
            if not point.takes_side:
                note("sided_midline" if side == MIDLINE else "sided_single", point.label)
                continue
            side = _SIDE_WORDS[side_match["side"].lower()]
        key = (code, level)
        found[key] = _merge_sides(found[key], side) if key in found else side
    leftover(text[position:])
    return ParsedPoints(
        points=tuple(NeedledPoint(code, side, level) for (code, level), side in found.items()),
        **{kind: tuple(items) for kind, items in problems.items()},
    )


def format_points(points) -> str:
    """The canonical way to write a list of points: "GB20 L, BL23, GV20, Jiaji L4"."""
    return ", ".join(str(point) for point in points)


def merge_points(first, second) -> tuple[NeedledPoint, ...]:
    """The first list, then the points of the second it lacks: a protocol added to
    what was typed keeps the sides typed."""
    keys = {(point.code, point.level) for point in first}
    return (*first, *(point for point in second if (point.code, point.level) not in keys))


def add_points_to_text(text: str, points) -> str:
    """`points` (a protocol's) added to a list as typed, each point once.

    Points are compared as read ("gb 20 l", "GB-20 R" and "GB20" are all GB20; Jiaji at
    another level is another point), and a point typed keeps its side. A list that reads
    cleanly comes back written the canonical way; one with mistakes comes back as typed,
    for the practitioner to fix, followed by the points it lacks.
    """
    typed = parse_points(text)
    if typed.ok:
        return format_points(merge_points(typed.points, points))
    present = {(point.code, point.level) for point in typed.points}
    refused = set(typed.sided_midline) | set(typed.sided_single)
    missing = format_points(
        point
        for point in points
        if (point.code, point.level) not in present and point.label not in refused
    )
    kept = text.rstrip(" ,;\t\r\n")
    return ", ".join(part for part in (kept, missing) if part)
