"""Phone numbers: checked with Google's libphonenumber, stored in E.164 (+14155550123)."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError

PHONE_ERROR = (
    "Enter a valid phone number, e.g. (415) 555-0123, "
    "or with the country code, e.g. +44 20 7946 0958."
)


def normalise_phone(value: str) -> str:
    """Return the number in E.164 form, or raise ValidationError."""
    try:
        number = phonenumbers.parse(value, settings.CLINIC_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(PHONE_ERROR, code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(PHONE_ERROR, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """National format for the clinic's own region, international format otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    region = phonenumbers.region_code_for_number(number)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if region == settings.CLINIC_PHONE_REGION
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def phone_search_term(query: str) -> str | None:
    """E.164 form of a typed search term when it reads as a whole phone number."""
    try:
        return normalise_phone(query)
    except ValidationError:
        return None
