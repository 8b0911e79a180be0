"""Helpers for callers writing a message: the patient's name as they like it, days and
times in the clinic's time zone, and the kind's templates (templates/messaging/)."""

import datetime
import re

from django.template.loader import render_to_string
from django.utils import dateformat, timezone

from core.models import Clinic
from intake.models import Patient


def greeting_name(patient: Patient) -> str:
    return patient.preferred_name or patient.first_name


def clinic_local(moment: datetime.datetime) -> datetime.datetime:
    """The moment on the clinic's clock (settings.TIME_ZONE), whoever sends it."""
    return timezone.localtime(moment, timezone.get_default_timezone())


def day_words(day: datetime.date | datetime.datetime) -> str:
    """ "Tuesday 15 December"."""
    if isinstance(day, datetime.datetime):
        day = clinic_local(day)
    return dateformat.format(day, "l j F")


def time_words(moment: datetime.datetime) -> str:
    """ "9:30 AM", on the clinic's clock."""
    return dateformat.format(clinic_local(moment), "g:i A")


def render(kind: str, context: dict, *, clinic: Clinic | None = None) -> tuple[str, str]:
    """(subject, body) from templates/messaging/<kind>_subject.txt and <kind>.txt,
    with the clinic's details as `clinic`. Plain text: nothing is HTML-escaped
    (the templates turn autoescape off); blank lines are tidied."""
    context = {"clinic": clinic or Clinic.current(), **context}
    subject = " ".join(render_to_string(f"messaging/{kind}_subject.txt", context).split())
    body = render_to_string(f"messaging/{kind}.txt", context)
    body = re.sub(r"[ \t]+\n", "\n", body)
    body = re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"
    return subject, body
