"""The project's own template tags and filters: {% load clinic_tags %}.

Page links that keep the rest of the query, the main navigation's links, and the
words and CSS classes that statuses, flags and safety findings show as. The values
are written here as plain strings: core imports no other app (tests/test_layers.py),
and the models' choices and the enums they come from stay the source of truth.
"""

from django import template
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


# --- Query strings and navigation ---------------------------------------------------


@register.simple_tag(takes_context=True)
def page_query(context, param, number):
    """`?` and the request's query string with `param` set to `number`: the href of a
    page link. Every other parameter is kept, repeated ones with all their values, so
    paging one list keeps the page of another list on the same page, and the filters.

        {% page_query "rpage" page.next_page_number %}
    """
    request = context.get("request")
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    query[param] = number
    return f"?{query.urlencode()}"


@register.simple_tag(takes_context=True)
def nav_link(context, view_name, label):
    """An item of the main navigation: a link to the URL named `view_name`, with
    aria-current="page" when the request resolved to that name (the page shown).

        {% nav_link "intake:patient_list" "Patients" %}
    """
    match = getattr(context.get("request"), "resolver_match", None)
    current = match is not None and match.view_name == view_name
    return format_html(
        '<li class="nav-item"><a class="nav-link" href="{}"{}>{}</a></li>',
        reverse(view_name),
        format_html(' aria-current="{}"', "page") if current else "",
        label,
    )


# --- Words and CSS classes of statuses, flags and findings --------------------------


def _key(value) -> str:
    """A choice or enum member as its plain value; "" for None."""
    value = getattr(value, "value", value)
    return "" if value is None else str(value)


INTAKE_STATUS_LABELS = {
    "not_sent": "Not sent",
    "sent": "Sent",
    "in_progress": "In progress",
    "submitted": "Submitted",
    "reviewed": "Reviewed",
}


@register.filter
def intake_status_label(status) -> str:
    """The chart's intake badge (intake.selectors.intake_overview's status). An
    unknown status shows as its own words: "on_hold" as "On hold"."""
    key = _key(status)
    return INTAKE_STATUS_LABELS.get(key, key.replace("_", " ").capitalize())


SESSION_STATUS_CLASSES = {"signed": "text-bg-success", "draft": "text-bg-warning"}


@register.filter
def session_status_class(status) -> str:
    """The badge class of a session's status (TreatmentSession.Status): discarded, or
    anything else, is grey."""
    return SESSION_STATUS_CLASSES.get(_key(status), "text-bg-secondary")


APPOINTMENT_STATUS_CLASSES = {"booked": "text-bg-primary", "attended": "text-bg-success"}


@register.filter
def appointment_status_class(status) -> str:
    """The badge class of an appointment's status (Appointment.Status): cancelled,
    no-show, or anything else, is grey."""
    return APPOINTMENT_STATUS_CLASSES.get(_key(status), "text-bg-secondary")


PLAN_FLAG_CLASSES = {"discharge_suggested": "alert-success", "baseline_low": "alert-info"}


@register.filter
def plan_flag_class(code) -> str:
    """The alert class of a plan's flag (plans.cadence.Flag): good news green, the
    automatic taper blue, anything that asks for a look (no improvement, review due)
    yellow."""
    return PLAN_FLAG_CLASSES.get(_key(code), "alert-warning")


FINDING_CLASSES = {"refuse": "alert-danger", "acknowledge": "alert-warning"}
FINDING_LABELS = {"refuse": "Not allowed", "acknowledge": "Safety warning"}


@register.filter
def finding_class(level) -> str:
    """The alert class of a safety finding's level (sessions.safety.Level): a caution,
    or anything else, is blue."""
    return FINDING_CLASSES.get(_key(level), "alert-info")


@register.filter
def finding_label(level) -> str:
    """The word before a safety finding's message: a caution, or anything else, is
    "Caution"."""
    return FINDING_LABELS.get(_key(level), "Caution")
