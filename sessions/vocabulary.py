"""The treatment-session vocabulary (docs/clinical-rules.md section 3).

Values are lower_snake_case and never renamed (docs/reference.md); labels may change.
"""

from django.db import models


class Modality(models.TextChoices):
    MANUAL_NEEDLING = "manual_needling", "Manual needling"
    ELECTROACUPUNCTURE = "electroacupuncture", "Electroacupuncture"
    MOXIBUSTION = "moxibustion", "Moxibustion"
    CUPPING = "cupping", "Cupping"
    GUA_SHA = "gua_sha", "Gua sha"
    HEAT_LAMP = "heat_lamp", "Heat lamp"


class Position(models.TextChoices):
    PRONE = "prone", "Prone (face down)"
    SUPINE = "supine", "Supine (face up)"
    SIDE_LYING = "side_lying", "Side-lying"
    SEATED = "seated", "Seated"


class ElectroIntensity(models.TextChoices):
    MILD = "mild", "Mild: just perceptible"
    MODERATE = "moderate", "Moderate: comfortable tingling"
    STRONG = "strong", "Strong: to the patient's tolerance"


class AdverseEventType(models.TextChoices):
    BRUISING = "bruising", "Bruising / haematoma"
    BLEEDING = "bleeding", "Bleeding"
    NEEDLING_PAIN = "needling_pain", "Needling pain"
    DIZZINESS = "dizziness", "Dizziness / fainting"
    NAUSEA = "nausea", "Nausea"
    LOCAL_INFECTION = "local_infection", "Local infection"
    BURN = "burn", "Burn (moxibustion)"
    NERVE_INJURY = "nerve_injury", "Nerve injury"
    PNEUMOTHORAX = "pneumothorax", "Pneumothorax"
    RETAINED_NEEDLE = "retained_needle", "Retained needle"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class Causality(models.TextChoices):
    """WHO-UMC causality categories."""

    CERTAIN = "certain", "Certain"
    PROBABLE = "probable", "Probable / likely"
    POSSIBLE = "possible", "Possible"
    UNLIKELY = "unlikely", "Unlikely"


class Side(models.TextChoices):
    """Where a point was needled. GV and CV points lie on the midline: no side."""

    BILATERAL = "bilateral", "bilateral"
    LEFT = "left", "L"
    RIGHT = "right", "R"
    MIDLINE = "midline", "midline"
