"""The intake's vocabulary (docs/clinical-rules.md section 2): stored values and the words
patients read.

Values are lower_snake_case and never renamed (docs/reference.md); labels may change.
Clinicians see the same labels; they are plain enough for both.
"""

from django.db import models


class PainType(models.TextChoices):
    NECK_PAIN = "neck_pain", "Neck pain"
    UPPER_BACK_PAIN = "upper_back_pain", "Upper back pain"
    LOWER_BACK_PAIN = "lower_back_pain", "Lower back pain"
    SCIATICA = "sciatica", "Sciatica / pain running down a leg"
    TENSION_TYPE_HEADACHE = "tension_type_headache", "Tension headache"
    MIGRAINE = "migraine", "Migraine"
    OTHER = "other", "Other"


# Choosing one of these asks how many days of headache the patient had.
HEADACHE_TYPES = frozenset({PainType.TENSION_TYPE_HEADACHE, PainType.MIGRAINE})


class BodyRegion(models.TextChoices):
    HEAD = "head", "Head"
    NECK = "neck", "Neck"
    SHOULDERS = "shoulders", "Shoulders / shoulder blades"
    UPPER_BACK = "upper_back", "Upper back"
    MID_BACK = "mid_back", "Mid back"
    LOWER_BACK = "lower_back", "Lower back"
    HIPS = "hips", "Hips / buttocks"
    LEGS = "legs", "Legs"
    FEET = "feet", "Feet"
    ARMS = "arms", "Arms / hands"
    OTHER = "other", "Other"


class RegionSide(models.TextChoices):
    """Which side of a region that has two (intake.body_map.SIDED_REGIONS) hurts or
    was treated; a region without sides is stored as "both" (the whole region)."""

    BOTH = "both", "Both sides"
    LEFT = "left", "Left side"
    RIGHT = "right", "Right side"


class Cause(models.TextChoices):
    MUSCLE_STRAIN = "muscle_strain", "Muscle or ligament strain"
    LIFTING_INJURY = "lifting_injury", "Lifting injury"
    SLIP_OR_FALL = "slip_or_fall", "Slip or fall"
    REPETITIVE_STRAIN = "repetitive_strain", "Repetitive strain / posture at work"
    SPORTS_INJURY = "sports_injury", "Sports injury"
    ACCIDENT = "accident", "Accident"
    PINCHED_NERVE = "pinched_nerve", "Pinched nerve"
    DISC = "disc", "Bulging or herniated disc"
    SPINAL_STENOSIS = "spinal_stenosis", "Spinal stenosis"
    ARTHRITIS = "arthritis", "Arthritis"
    SLEEPING_POSTURE = "sleeping_posture", "Sleeping posture"
    STRESS = "stress", "Stress"
    UNKNOWN = "unknown", "I don't know"


class Onset(models.TextChoices):
    SUDDEN = "sudden", "Suddenly"
    GRADUAL = "gradual", "Gradually"


class Trigger(models.TextChoices):
    BRIGHT_LIGHT = "bright_light", "Bright light"
    NOISE = "noise", "Noise"
    STRESS = "stress", "Stress"
    POOR_SLEEP = "poor_sleep", "Poor sleep"
    PROLONGED_SITTING = "prolonged_sitting", "Sitting for a long time / posture"
    LIFTING_OR_BENDING = "lifting_or_bending", "Lifting or bending"
    LOW_MOOD = "low_mood", "Low mood / depression"
    WEATHER = "weather", "Weather"
    MENSTRUAL_CYCLE = "menstrual_cycle", "Menstrual cycle"
    SCREEN_TIME = "screen_time", "Screen time"
    CERTAIN_FOODS = "certain_foods", "Certain foods"
    OTHER = "other", "Other"


class Answer(models.TextChoices):
    """A safety-screening answer."""

    YES = "yes", "Yes"
    NO = "no", "No"
    NOT_SURE = "not_sure", "Not sure"


def labels(choices: type[models.TextChoices], values) -> list[str]:
    """The labels of stored values, in the vocabulary's order; unknown values are skipped."""
    chosen = set(values or ())
    return [label for value, label in choices.choices if value in chosen]
