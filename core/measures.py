"""When a drop in pain (0-10) is clinically important (docs/clinical-rules.md section 1):
at least 2 points AND at least 30% of the baseline; substantial: 2 points and 50%.

Kept here, at the bottom of the apps, because both the plan (which keeps the number of
the visit that first met the rule, plans.figures) and the progress pages and outcomes
(progress.figures, progress.outcomes) judge by it.
"""

from fractions import Fraction

IMPORTANT_POINTS = 2
IMPORTANT_FRACTION = Fraction(3, 10)
SUBSTANTIAL_FRACTION = Fraction(1, 2)


def meets(baseline: int | None, pain: int | None, share: Fraction = IMPORTANT_FRACTION) -> bool:
    """Whether `pain` is at least 2 points and `share` of the baseline below it."""
    if baseline is None or pain is None or baseline <= 0:
        return False
    drop = baseline - pain
    return drop >= IMPORTANT_POINTS and Fraction(drop, baseline) >= share
