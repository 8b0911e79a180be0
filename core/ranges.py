"""Whole numbers within a range, said once for a model's validators and its database
constraint (a form's bounds come from the validators)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q


def in_range(field: str, low: int, high: int) -> Q:
    """A check constraint's condition: `field` is empty or a number in [low, high]."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": low, f"{field}__lte": high})


def range_validators(low: int, high: int) -> list:
    return [MinValueValidator(low), MaxValueValidator(high)]
