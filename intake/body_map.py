"""Body regions with their sides, and the body map that draws them
(docs/product-rules.md#the-body-map).

Pure: no database. A patient marks where it hurts (intake step 2) and a practitioner
the regions treated (the session form) with the same vocabulary: a region of
intake.vocabulary.BodyRegion, and for a region that has two sides (shoulders, hips,
legs, feet, arms) which side: left, right or both.

The map is two figures, the back and the front, drawn as inline SVG by the template
intake/includes/_body_map.html from TARGETS below. Every region (but "other") has a
target per side on each figure. On the form only the back figure's targets take the
keyboard focus (it shows every region, in the vocabulary's order); the front figure's
are the same targets again for a finger or a mouse.

    >>> MarkedRegion("legs", side="left", score=5).patient_text
    'Legs (left side, 5 out of 10)'
"""

from dataclasses import dataclass

from intake.vocabulary import BodyRegion, RegionSide

BOTH, LEFT, RIGHT = RegionSide.BOTH.value, RegionSide.LEFT.value, RegionSide.RIGHT.value

# The regions a patient has two of; the others are one region ("both" when stored).
SIDED_REGIONS = frozenset(
    {BodyRegion.SHOULDERS, BodyRegion.HIPS, BodyRegion.LEGS, BodyRegion.FEET, BodyRegion.ARMS}
)

# One of a sided region, as a target's name says it: "Left leg".
ONE_SIDE_NAMES = {
    BodyRegion.SHOULDERS: "shoulder / shoulder blade",
    BodyRegion.HIPS: "hip / buttock",
    BodyRegion.LEGS: "leg",
    BodyRegion.FEET: "foot",
    BodyRegion.ARMS: "arm / hand",
}

SIDE_WORDS = {BOTH: "both sides", LEFT: "left side", RIGHT: "right side"}


def has_sides(region: str) -> bool:
    return region in SIDED_REGIONS


def target_label(region: str, side: str) -> str:
    """The name of one target on the map: "Left leg", "Neck"."""
    if not side:
        return BodyRegion(region).label
    return f"{side.capitalize()} {ONE_SIDE_NAMES[region]}"


@dataclass(frozen=True)
class MarkedRegion:
    """A region marked on the map or ticked in the list, with its side and, on the
    intake, the patient's optional 0-10 score. Refuses what the vocabulary does not
    have (ValueError): a form checks its input before it makes one."""

    region: str
    side: str = BOTH
    score: int | None = None

    def __post_init__(self):
        if self.region not in BodyRegion.values:
            raise ValueError(f"Not a body region: {self.region!r}")
        if self.side not in RegionSide.values:
            raise ValueError(f"Not a side: {self.side!r}")
        if self.side != BOTH and not has_sides(self.region):
            raise ValueError(f"{self.region} has no sides")
        if self.score is not None and not 0 <= self.score <= 10:
            raise ValueError(f"A score is 0-10, not {self.score}")

    @property
    def has_sides(self) -> bool:
        return has_sides(self.region)

    @property
    def region_label(self) -> str:
        return BodyRegion(self.region).label

    @property
    def side_label(self) -> str:
        """The side in a clinician's list: "left", "right", "both sides"; empty for a
        region without sides."""
        if not self.has_sides:
            return ""
        return {LEFT: "left", RIGHT: "right", BOTH: "both sides"}[self.side]

    @property
    def label(self) -> str:
        """For clinicians: "Legs (left)", "Shoulders / shoulder blades (both sides)",
        "Neck"."""
        side = self.side_label
        return f"{self.region_label} ({side})" if side else self.region_label

    @property
    def patient_text(self) -> str:
        """As the patient's answers list it: "Legs (left side, 5 out of 10)"."""
        details = []
        if self.has_sides:
            details.append(SIDE_WORDS[self.side])
        if self.score is not None:
            details.append(f"{self.score} out of 10")
        return f"{self.region_label} ({', '.join(details)})" if details else self.region_label

    @property
    def audit_text(self) -> str:
        """The audit trail's line: "legs left 5", "neck None"."""
        side = f" {self.side}" if self.has_sides else ""
        return f"{self.region}{side} {self.score}"

    def stored(self) -> dict:
        return {"region": self.region, "side": self.side}


def in_vocabulary_order(marks) -> list[MarkedRegion]:
    order = {value: n for n, value in enumerate(BodyRegion.values)}
    return sorted(marks, key=lambda mark: order[mark.region])


def marked_regions(chosen, sides: dict[str, str]) -> list[MarkedRegion]:
    """The regions ticked (`chosen`), each with its side from `sides` (region ->
    "left", "right", "both"; missing or empty is both). A side given for a region not
    ticked means nothing: the side's list always sends a value."""
    chosen = set(chosen)
    return [
        MarkedRegion(region, side=(sides.get(region) or BOTH) if has_sides(region) else BOTH)
        for region in BodyRegion.values
        if region in chosen
    ]


def stored(marks) -> list[dict]:
    """Regions as a session keeps them (a JSON list), each once, in the vocabulary's
    order: [{"region": "shoulders", "side": "left"}, {"region": "neck", "side": "both"}]."""
    marks = in_vocabulary_order(marks)
    regions = [mark.region for mark in marks]
    if len(set(regions)) != len(regions):
        raise ValueError("A region is marked twice")
    return [mark.stored() for mark in marks]


def from_stored(value) -> list[MarkedRegion]:
    """The regions of a stored list (or of MarkedRegions); ValueError for anything
    else."""
    if not isinstance(value, list | tuple):
        raise ValueError("Regions are a list")
    marks = []
    for item in value:
        if isinstance(item, MarkedRegion):
            marks.append(item)
        elif isinstance(item, dict) and set(item) == {"region", "side"}:
            marks.append(MarkedRegion(str(item["region"]), side=str(item["side"])))
        else:
            raise ValueError(f"Not a region: {item!r}")
    return marks


# --- The map's drawing ------------------------------------------------------------------

# Two figures of 150 x 432 units side by side, the back on the left (this clinic's
# patients mostly mark their back and neck), the front on the right. On a 375 px phone
# the map is about 350 px wide, 1.17 px a unit: every target's hit area is at least
# 38 units (44 px) each way. The back is seen from behind, so the patient's left is
# on the left; the front faces us, so their left is on the right (letters say so).
WIDTH, HEIGHT = 300, 432
FIGURE = 150
VIEWBOX = f"0 0 {WIDTH} {HEIGHT}"


def _num(value: float) -> str:
    return f"{value:g}"


def _box(x, y, w, h, tl=4, tr=4, br=4, bl=4) -> str:
    """A path for a box with its own radius at each corner."""
    n = _num
    return (
        f"M{n(x + tl)},{n(y)}H{n(x + w - tr)}A{n(tr)},{n(tr)} 0 0 1 {n(x + w)},{n(y + tr)}"
        f"V{n(y + h - br)}A{n(br)},{n(br)} 0 0 1 {n(x + w - br)},{n(y + h)}"
        f"H{n(x + bl)}A{n(bl)},{n(bl)} 0 0 1 {n(x)},{n(y + h - bl)}"
        f"V{n(y + tl)}A{n(tl)},{n(tl)} 0 0 1 {n(x + tl)},{n(y)}Z"
    )


def _circle(cx, cy, r) -> str:
    n = _num
    arc = f"A{n(r)},{n(r)} 0 1 0"
    return f"M{n(cx - r)},{n(cy)}{arc} {n(cx + r)},{n(cy)}{arc} {n(cx - r)},{n(cy)}Z"


@dataclass(frozen=True)
class _Part:
    """One target of a figure, in the figure's own units (x 0-150), drawn for the
    half on the viewer's left; `paired` parts are mirrored for the other half."""

    region: str
    # The shape: x, y, width, height and the corner radii (tl, tr, br, bl); a circle's
    # centre and radius; None for the neck (_neck).
    box: tuple | None
    hit: tuple  # the hit area: x, y, width, height
    badge: tuple  # where the score shows: x, y
    paired: bool = False
    circle: bool = False


_PARTS = (
    _Part(BodyRegion.HEAD, (75, 42, 19), (53, 22, 44, 40), (75, 42), circle=True),
    _Part(BodyRegion.NECK, None, (38, 62, 74, 38), (75, 82)),
    _Part(BodyRegion.SHOULDERS, (8, 101, 65, 37, 20, 4, 4, 6), (0, 100, 75, 40), (44, 120), True),
    _Part(BodyRegion.UPPER_BACK, (40, 141, 70, 37, 6, 6, 3, 3), (38, 140, 74, 40), (75, 160)),
    _Part(BodyRegion.MID_BACK, (40, 181, 70, 37, 3, 3, 3, 3), (38, 180, 74, 40), (75, 200)),
    _Part(BodyRegion.LOWER_BACK, (40, 221, 70, 37, 3, 3, 3, 3), (38, 220, 74, 40), (75, 240)),
    _Part(BodyRegion.HIPS, (40, 261, 34, 37, 3, 2, 4, 14), (0, 260, 75, 40), (57, 280), True),
    _Part(BodyRegion.LEGS, (44, 301, 29, 87, 4, 4, 9, 9), (0, 300, 75, 90), (58.5, 345), True),
    _Part(BodyRegion.FEET, (40, 391, 33, 18, 9, 9, 9, 9), (0, 390, 75, 40), (56.5, 400), True),
    _Part(BodyRegion.ARMS, (10, 141, 24, 116, 10, 10, 12, 12), (0, 140, 38, 120), (22, 200), True),
)
_BACK_ONLY = frozenset({BodyRegion.UPPER_BACK, BodyRegion.MID_BACK, BodyRegion.LOWER_BACK})


def _neck(offset: int) -> str:
    """The neck, widening into the shoulders."""
    return f"M{68 + offset},61H{82 + offset}L{87 + offset},98H{63 + offset}Z"


@dataclass(frozen=True)
class Target:
    """One region (and side) on one figure of the map, in the map's units."""

    view: str  # "back" or "front"
    region: str
    side: str  # "left", "right", or "" for a region without sides
    shape: str  # an SVG path
    hit: tuple  # x, y, width, height
    badge: tuple  # x, y

    @property
    def label(self) -> str:
        return target_label(self.region, self.side)

    @property
    def focusable(self) -> bool:
        return self.view == "back"


def _mirror_box(box):
    x, y, w, h, tl, tr, br, bl = box
    return (FIGURE - x - w, y, w, h, tr, tl, bl, br)


def _mirror_hit(hit):
    x, y, w, h = hit
    return (FIGURE - x - w, y, w, h)


def _targets_of(view: str, offset: int) -> list[Target]:
    # Seen from behind, the half on the viewer's left is the patient's left.
    near, far = (LEFT, RIGHT) if view == "back" else (RIGHT, LEFT)
    targets = []
    for part in _PARTS:
        if view == "front" and part.region in _BACK_ONLY:
            continue
        halves = [(near, part.box, part.hit, part.badge)]
        if part.paired:
            bx, by = part.badge
            halves.append((far, _mirror_box(part.box), _mirror_hit(part.hit), (FIGURE - bx, by)))
        for side, box, hit, badge in halves:
            if part.circle:
                cx, cy, r = box
                shape = _circle(cx + offset, cy, r)
            elif part.region == BodyRegion.NECK:
                shape = _neck(offset)
            else:
                x, y, w, h, *radii = box
                shape = _box(x + offset, y, w, h, *radii)
            x, y, w, h = hit
            targets.append(
                Target(
                    view=view,
                    region=part.region,
                    side=side if part.paired else "",
                    shape=shape,
                    hit=(x + offset, y, w, h),
                    badge=(badge[0] + offset, badge[1]),
                )
            )
    if view == "back":
        # Left before right, as the list reads.
        targets.sort(key=lambda t: t.side == RIGHT)
        order = {value: n for n, value in enumerate(BodyRegion.values)}
        targets.sort(key=lambda t: order[t.region])
    return targets


TARGETS: tuple[Target, ...] = (*_targets_of("back", 0), *_targets_of("front", FIGURE))
# The front of the trunk: drawn, but no region of the vocabulary (chest and belly are
# "other").
FRONT_TRUNK = _box(40 + FIGURE, 141, 70, 117, 6, 6, 6, 6)


@dataclass(frozen=True)
class Caption:
    x: str
    y: str
    text: str
    kind: str  # "view" (Back, Front) or "side" (L, R)


CAPTIONS = (
    Caption("75", "14", "Back", "view"),
    Caption(str(FIGURE + 75), "14", "Front", "view"),
    Caption("36", "42", "L", "side"),
    Caption("114", "42", "R", "side"),
    Caption(str(FIGURE + 36), "42", "R", "side"),
    Caption(str(FIGURE + 114), "42", "L", "side"),
)


@dataclass(frozen=True)
class DrawnTarget:
    """A target as one page draws it: chosen or not, with the score to show."""

    target: Target
    chosen: bool = False
    score: int | None = None

    # Numbers as SVG attributes, never localised ("58.5", not "58,5").
    @property
    def hit(self) -> dict[str, str]:
        x, y, w, h = self.target.hit
        return {"x": _num(x), "y": _num(y), "width": _num(w), "height": _num(h)}

    @property
    def badge(self) -> dict[str, str]:
        x, y = self.target.badge
        return {"x": _num(x), "y": _num(y)}


def drawn(marks=()) -> list[DrawnTarget]:
    """Every target of the map, chosen where `marks` (anything with region, side and
    score: MarkedRegions, intake.IntakePainRegion rows) say so. A region marked on
    both sides, or one without sides, fills each of its targets."""
    by_region = {mark.region: mark for mark in marks}
    result = []
    for target in TARGETS:
        mark = by_region.get(target.region)
        chosen = mark is not None and (not target.side or mark.side in (BOTH, target.side))
        score = getattr(mark, "score", None) if chosen else None
        result.append(DrawnTarget(target, chosen=chosen, score=score))
    return result
