"""Whether a patient got better, in numbers (docs/clinical-rules.md section 1): plain
functions of the recorded scores, no database.

A clinically important improvement in pain is a drop of at least 2 points AND at
least 30% from the baseline; a substantial one, at least 2 points and 50%.
"""

from dataclasses import dataclass
from fractions import Fraction

from core.measures import IMPORTANT_FRACTION, IMPORTANT_POINTS, SUBSTANTIAL_FRACTION

# A change in the patient-specific function score (mean of 0-10 ratings) of about
# 2 points is clinically important.
PSFS_IMPORTANT_POINTS = 2


@dataclass(frozen=True)
class PainChange:
    """Pain now against the baseline, 0-10 each; `points` and `percent` count a drop
    as positive (better), a rise as negative."""

    baseline: int | None
    current: int | None

    @property
    def known(self) -> bool:
        return self.baseline is not None and self.current is not None

    @property
    def points(self) -> int | None:
        return self.baseline - self.current if self.known else None

    @property
    def fraction(self) -> Fraction | None:
        if not self.known or self.baseline == 0:
            return None
        return Fraction(self.points, self.baseline)

    @property
    def percent(self) -> int | None:
        """The change as a whole percentage of the baseline (half away from zero)."""
        fraction = self.fraction
        if fraction is None:
            return None
        hundred = fraction * 100
        whole = int(abs(hundred) + Fraction(1, 2))
        return whole if hundred >= 0 else -whole

    def _at_least(self, share: Fraction) -> bool:
        return (
            self.fraction is not None and self.points >= IMPORTANT_POINTS and self.fraction >= share
        )

    @property
    def important(self) -> bool:
        """A clinically important improvement: >= 2 points and >= 30%."""
        return self._at_least(IMPORTANT_FRACTION)

    @property
    def substantial(self) -> bool:
        """A substantial improvement: >= 2 points and >= 50%."""
        return self._at_least(SUBSTANTIAL_FRACTION)
