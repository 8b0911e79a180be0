"""A visit's card on the schedule, drawn in Python.

The day view of a large clinic shows a few hundred visits, each twice (the table, and
the phone's list); drawn by a template include, each card took about 1 ms (three URL
reversals, date filters, a permission check), most of the page's time. Here each card
is formatted once a page from strings worked out once a page (the URLs' shape, the
permission, the CSRF field), and the second place gets the first's HTML.

What a card shows: when, how long, who, its status, and whether the intake is done.
Nothing clinical (no pain, notes or flags): the front desk reads this page.
"""

import uuid

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.templatetags.clinic_tags import appointment_status_class

register = template.Library()

# Reversed once a page with this code, then the visit's code put in its place.
_SLOT = uuid.UUID(int=0)
_PAGE_KEY = "_schedule_visit_page"

LATE_ATTRIBUTE = format_html(" {}", "data-not-checked-in")
LATE_BADGE = format_html('<span class="badge text-bg-warning">{}</span>', "not checked in")
INTAKE_DONE = format_html('<span class="badge schedule-intake-done">{}</span>', "Intake done")
NO_INTAKE = format_html('<span class="badge schedule-intake-missing">{}</span>', "No intake yet")


def _page(context) -> dict:
    """What every card of the page shares, worked out on the first card."""
    page = context.render_context.get(_PAGE_KEY)
    if page is None:
        request = context.get("request")
        user = getattr(request, "user", None)
        can_change = bool(user and user.has_perm("scheduling.change_appointment"))
        page = {
            "can_change": can_change,
            "today": context.get("today") or timezone.localdate(),
            "chart": reverse("clinic:patient_detail", kwargs={"code": _SLOT}),
            "arrived": reverse("scheduling:appointment_arrived", kwargs={"code": _SLOT}),
            "cancel": reverse("scheduling:appointment_cancel", kwargs={"code": _SLOT}),
            "csrf": format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
            )
            if can_change and request is not None
            else "",
        }
        context.render_context[_PAGE_KEY] = page
    return page


def _url(shape: str, code) -> str:
    return shape.replace(str(_SLOT), str(code))


def render_visit(visit, page: dict) -> str:
    starts = timezone.localtime(visit.starts_at)
    ends = timezone.localtime(visit.ends_at)
    late = visit.not_checked_in
    name = visit.patient.display_name
    arrived = visit.status == "arrived"
    badge_class = "text-bg-info" if arrived else appointment_status_class(visit.status)
    status = visit.get_status_display()
    if arrived and visit.arrived_at:
        status = f"{status} {timezone.localtime(visit.arrived_at):%H:%M}"
    actions = ""
    if page["can_change"] and visit.status in ("booked", "arrived"):
        check_in = ""
        if visit.status == "booked" and starts.date() == page["today"]:
            check_in = format_html(
                '\n    <form method="post" action="{}">\n      {}\n      <button class="btn btn-sm'
                ' btn-success" type="submit">Check in<span class="visually-hidden"> {}</span>'
                "</button>\n    </form>",
                _url(page["arrived"], visit.code),
                page["csrf"],
                name,
            )
        actions = format_html(
            '\n  <div class="schedule-visit-actions">{}\n    <a class="btn btn-sm btn-link'
            ' schedule-cancel-link" href="{}">Cancel…<span class="visually-hidden"> {}\'s visit'
            "</span></a>\n  </div>",
            check_in,
            _url(page["cancel"], visit.code),
            name,
        )
    return format_html(
        '<div class="schedule-visit schedule-status-{status}{late_class}"'
        ' data-appointment="{code}" data-status="{status}"{late_data}>\n'
        '  <div class="schedule-visit-when"><span class="text-nowrap">{starts}–{ends}</span>'
        ' <span class="text-nowrap schedule-visit-length">({length} min)</span></div>\n'
        '  <a class="schedule-visit-patient" href="{chart}">{name}</a>\n'
        '  <div class="schedule-visit-marks">\n'
        '    <span class="badge {badge_class}">{status_label}</span>\n'
        "    {late_badge}\n"
        "    {intake}\n"
        "  </div>{actions}\n"
        "</div>",
        status=visit.status,
        late_class=" schedule-not-checked-in" if late else "",
        code=visit.code,
        late_data=LATE_ATTRIBUTE if late else "",
        starts=f"{starts:%H:%M}",
        ends=f"{ends:%H:%M}",
        length=visit.length_minutes,
        chart=_url(page["chart"], visit.patient.code),
        name=name,
        badge_class=badge_class,
        status_label=status,
        late_badge=LATE_BADGE if late else "",
        intake=INTAKE_DONE if visit.intake_done else NO_INTAKE,
        actions=actions,
    )


@register.simple_tag(takes_context=True)
def schedule_visit(context, visit):
    """`visit`'s card (an appointment from scheduling.selectors, with intake_done),
    drawn once a page: the table and the phone's list show each visit alike."""
    html = getattr(visit, "_schedule_visit_html", None)
    if html is None:
        html = render_visit(visit, _page(context))
        visit._schedule_visit_html = html
    return html
