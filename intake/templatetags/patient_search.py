from django import template
from django.conf import settings

from intake.search import DATE_HINTS

register = template.Library()


@register.simple_tag
def date_of_birth_hint() -> str:
    """How a date of birth may be typed into the patient search, in the clinic's order
    (settings.DATE_INPUT_ORDER): "MM/DD/YYYY or YYYY-MM-DD"."""
    return f"{DATE_HINTS[settings.DATE_INPUT_ORDER]} or YYYY-MM-DD"
