"""The plan page's timeline: pain before each session against the cadence, as SVG
coordinates for the template (drawn on the server, so no chart script is needed)."""

from dataclasses import dataclass

from plans import cadence

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 36, 100, 16, 36


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    label: str


def _pain_y(score: int) -> float:
    return TOP + (10 - score) * (HEIGHT - TOP - BOTTOM) / 10


def _rung_y(rung: cadence.Rung) -> float:
    # Weekly (most visits) at the top, maintenance at the bottom.
    index = cadence.RUNGS.index(rung)
    return TOP + 12 + index * (HEIGHT - TOP - BOTTOM - 24) / (len(cadence.RUNGS) - 1)


def timeline(outcome: cadence.Outcome) -> dict | None:
    """Session steps only (decisions show as cadence changes). None without sessions."""
    sessions = [step for step in outcome.steps if step.is_session]
    if not sessions:
        return None
    span = WIDTH - LEFT - RIGHT
    gap = span / max(len(sessions) - 1, 1)
    x_of = {}
    pain = []
    for number, step in enumerate(sessions):
        x = LEFT + (number * gap if len(sessions) > 1 else span / 2)
        x_of[step.key] = x
        pain.append(
            Mark(
                x,
                _pain_y(step.pain_before),
                f"{step.date:%d %b}: pain before {step.pain_before}/10",
            )
        )
    # The cadence as a step line: level until a step changes it, then jump.
    first_x = pain[0].x
    path = [
        f"M{LEFT:.1f},{_rung_y(sessions[0].before):.1f}",
        f"L{first_x:.1f},{_rung_y(sessions[0].before):.1f}",
    ]
    current = sessions[0].before
    last_x = first_x
    for step in outcome.steps:
        x = x_of.get(step.key, last_x)
        if step.after != current:
            path.append(f"L{x:.1f},{_rung_y(current):.1f}")
            path.append(f"L{x:.1f},{_rung_y(step.after):.1f}")
            current = step.after
        last_x = x
    path.append(f"L{WIDTH - RIGHT:.1f},{_rung_y(current):.1f}")
    baseline_y = _pain_y(outcome.baseline) if outcome.baseline is not None else None
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "plot_right": WIDTH - RIGHT,
        "left": LEFT,
        "bottom": HEIGHT - BOTTOM,
        "pain_points": pain,
        "pain_line": " ".join(f"{m.x:.1f},{m.y:.1f}" for m in pain),
        "cadence_path": " ".join(path),
        "rung_labels": [Mark(WIDTH - RIGHT + 8, _rung_y(r) + 4, r.label) for r in cadence.RUNGS],
        "pain_ticks": [Mark(LEFT - 8, _pain_y(s) + 4, str(s)) for s in (0, 5, 10)],
        "baseline_y": baseline_y,
        "date_labels": [
            Mark(m.x, HEIGHT - BOTTOM + 16, f"{s.date:%d %b}")
            for m, s in zip(pain, sessions, strict=True)
        ][:: max(1, len(pain) // 8)],
    }
