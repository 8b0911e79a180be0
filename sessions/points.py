"""Acupuncture point codes as practitioners type them (docs/clinical-rules.md section 4).

Pure functions, no database: the WHO standard's 361 points are known from the
per-meridian counts, so "BL68" is rejected without a lookup. Names for completion
and display come from the Point table, loaded from sessions/data/who_points.csv.

    >>> parse_points("GB20 L, UB-23, li 4, Du20").points
    (NeedledPoint(code='GB20', side='left'), NeedledPoint(code='BL23', side='bilateral'),
     NeedledPoint(code='LI4', side='bilateral'), NeedledPoint(code='GV20', side='midline'))
"""

import re
from dataclasses import dataclass

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

# A code: one to three letters (not the end of a longer word), an optional space,
# hyphen or dot, a number; then an optional side written after it ("GB20 L", "GB20L",
# "GB20 (R)", "BL23 bilat"). A side word must end there and not be followed by a
# number, so "LI4 LU7" and "GB20 BL 23" read as two codes. ASCII only: no Unicode
# case folding turns a dotless i into a side or a long s into ST.
_TOKEN = re.compile(
    r"""
    (?<![A-Za-z]) (?P<meridian>[A-Za-z]{1,3}) \s* [-.]? \s* (?P<number>\d+)
    (?: \s* \(? \s* (?P<side>bilateral|bilat|both|bil|left|right|lt|rt|l|r|b) \s* \)?
        (?![A-Za-z0-9]) (?!\s*[-.]?\s*\d) )?
    """,
    re.VERBOSE | re.IGNORECASE | re.ASCII,
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

    @property
    def meridian(self) -> str:
        return self.code.rstrip("0123456789")

    def __str__(self) -> str:
        short = _SIDE_SHORT.get(self.side)
        return f"{self.code} {short}" if short else self.code


@dataclass(frozen=True)
class ParsedPoints:
    points: tuple[NeedledPoint, ...]
    # What was typed that is not a WHO code, as typed, in order, once each.
    unknown: tuple[str, ...] = ()
    # Codes on the midline (GV, CV) that were given a side.
    sided_midline: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.unknown and not self.sided_midline

    def errors(self) -> list[str]:
        """Messages for a form: every problem named, one sentence each."""
        messages = []
        if self.unknown:
            names = ", ".join(self.unknown)
            if len(self.unknown) == 1:
                messages.append(f"Not a WHO point code: {names}.")
            else:
                messages.append(f"Not WHO point codes: {names}.")
        if self.sided_midline:
            names = ", ".join(self.sided_midline)
            single = len(self.sided_midline) == 1
            messages.append(
                f"{names} {'is' if single else 'are'} on the midline and "
                f"{'takes' if single else 'take'} no side (L / R)."
            )
        return messages


def is_known_code(code: str) -> bool:
    meridian, number = code.rstrip("0123456789"), code[len(code.rstrip("0123456789")) :]
    count = MERIDIAN_POINT_COUNTS.get(meridian)
    return bool(count and number and not number.startswith("0") and 1 <= int(number) <= count)


def all_codes() -> list[str]:
    """The 361 codes in the standard's order."""
    return [
        f"{meridian}{number}"
        for meridian, count in MERIDIAN_POINT_COUNTS.items()
        for number in range(1, count + 1)
    ]


def normalise_code(meridian: str, number: str) -> str | None:
    """ "ub", "23" -> "BL23"; None when it is not a WHO point."""
    canonical = MERIDIAN_ALIASES.get(meridian.upper())
    if canonical is None:
        return None
    code = f"{canonical}{int(number)}" if number.isdigit() and len(number) <= 3 else None
    return code if code and is_known_code(code) else None


def default_side(code: str) -> str:
    return MIDLINE if code.rstrip("0123456789") in MIDLINE_MERIDIANS else BILATERAL


def _merge_sides(first: str, second: str) -> str:
    """The same point written twice: left and right together are both sides."""
    return first if first == second else BILATERAL


def parse_points(text: str) -> ParsedPoints:
    """Read a typed list of points; never raises.

    Aliases and spellings are normalised, duplicates dropped (a point given for
    the left and then the right becomes bilateral), and everything that is not a
    WHO code is collected, as typed, in `unknown`.
    """
    found: dict[str, str] = {}
    unknown: list[str] = []
    sided_midline: list[str] = []
    position = 0

    def leftover(chunk: str) -> None:
        for word in _SEPARATORS.split(chunk):
            if word and word not in unknown:
                unknown.append(word)

    for match in _TOKEN.finditer(text):
        leftover(text[position : match.start()])
        position = match.end()
        typed_side = match["side"]
        if not typed_side and (alone := _SIDE_AFTER_SEPARATOR.match(text, position)):
            typed_side, position = alone["side"], alone.end()
        code = normalise_code(match["meridian"], match["number"])
        if code is None:
            typed = " ".join(match.group(0).split())
            if typed not in unknown:
                unknown.append(typed)
            continue
        side = default_side(code)
        if typed_side:
            if side == MIDLINE:
                if code not in sided_midline:
                    sided_midline.append(code)
                continue
            side = _SIDE_WORDS[typed_side.lower()]
        found[code] = _merge_sides(found[code], side) if code in found else side
    leftover(text[position:])
    return ParsedPoints(
        points=tuple(NeedledPoint(code, side) for code, side in found.items()),
        unknown=tuple(unknown),
        sided_midline=tuple(sided_midline),
    )


def format_points(points) -> str:
    """The canonical way to write a list of points: "GB20 L, BL23, GV20"."""
    return ", ".join(str(point) for point in points)


def merge_points(first, second) -> tuple[NeedledPoint, ...]:
    """The first list, then the points of the second it lacks: a protocol added to
    what was typed keeps the sides typed."""
    codes = {point.code for point in first}
    return (*first, *(point for point in second if point.code not in codes))


def add_points_to_text(text: str, points) -> str:
    """`points` (a protocol's) added to a list as typed, each point once.

    Codes are compared as read ("gb 20 l", "GB-20 R" and "GB20" are all GB20), and a
    point typed keeps its side. A list that reads cleanly comes back written the
    canonical way; one with mistakes comes back as typed, for the practitioner to fix,
    followed by the points whose codes it lacks.
    """
    typed = parse_points(text)
    if typed.ok:
        return format_points(merge_points(typed.points, points))
    present = {point.code for point in typed.points} | set(typed.sided_midline)
    missing = format_points(point for point in points if point.code not in present)
    kept = text.rstrip(" ,;\t\r\n")
    return ", ".join(part for part in (kept, missing) if part)
