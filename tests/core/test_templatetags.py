"""core/templatetags/clinic_tags.py: page links that keep the query, the main
navigation's links, and the words and classes of statuses, flags and findings."""

import datetime
import html
import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone

from core.templatetags import clinic_tags
from intake.models import Intake
from plans.cadence import Flag
from scheduling.models import Appointment
from sessions.models import TreatmentSession
from sessions.safety import Level
from tests.factories import IntakeFactory


def render(source: str, **context) -> str:
    return Template("{% load clinic_tags %}" + source).render(Context(context))


# --- page_query -----------------------------------------------------------------------


def page_query(query: str, param: str, number) -> str:
    """The tag's href for a request with `query`, HTML entities undone."""
    request = RequestFactory().get(f"/somewhere/?{query}" if query else "/somewhere/")
    rendered = render("{% page_query param number %}", request=request, param=param, number=number)
    return html.unescape(rendered)


@pytest.mark.parametrize(
    ("query", "param", "number", "href"),
    [
        # Absent: added after the others.
        ("", "page", 2, "?page=2"),
        ("q=smith&status=active", "page", 2, "?q=smith&status=active&page=2"),
        # Present: replaced where it stands, the others untouched.
        ("page=1&rpage=3", "rpage", 4, "?page=1&rpage=4"),
        ("page=1&rpage=3", "page", 2, "?page=2&rpage=3"),
        ("sessions_page=3", "sessions_page", 2, "?sessions_page=2"),
        # Other multi-valued parameters keep every value, in order.
        ("tag=a&tag=b&page=1", "page", 2, "?tag=a&tag=b&page=2"),
        ("tag=b&tag=a", "rpage", 1, "?tag=b&tag=a&rpage=1"),
        # The parameter itself given twice: it ends up with the one value.
        ("page=1&page=5&q=x", "page", 2, "?page=2&q=x"),
        # Values are encoded again as they came.
        ("q=a+b%26c&when=2024-01-01", "page", 3, "?q=a+b%26c&when=2024-01-01&page=3"),
        ("q=%C3%A9l%C3%A8ve", "page", 2, "?q=%C3%A9l%C3%A8ve&page=2"),
    ],
)
def test_page_query_sets_its_parameter_and_keeps_the_others(query, param, number, href):
    assert page_query(query, param, number) == href


def test_page_query_output_is_escaped_for_an_attribute():
    request = RequestFactory().get("/somewhere/", {"q": 'a"<b>', "status": "active"})
    rendered = render("{% page_query 'page' 2 %}", request=request)
    assert rendered == "?q=a%22%3Cb%3E&amp;status=active&amp;page=2"


def test_page_query_without_a_request_gives_the_parameter_alone():
    assert render("{% page_query 'rpage' 3 %}") == "?rpage=3"


def test_page_query_leaves_the_request_as_it_was():
    request = RequestFactory().get("/somewhere/", {"page": "1", "q": "x"})
    render("{% page_query 'page' 2 %}", request=request)
    assert request.GET.urlencode() == "page=1&q=x"


# --- nav_link ---------------------------------------------------------------------------

NAV = {
    "intake:patient_list": "Patients",
    "intake:patient_create": "Register patient",
    "intake:intake_queue": "Intakes",
    "plans:due_list": "Visits due",
    "treatment_sessions:protocol_list": "Protocols",
    "clinic:audit_list": "Audit",
}


def request_for(view_name: str):
    path = reverse(view_name)
    request = RequestFactory().get(path)
    request.resolver_match = resolve(path)
    return request


def nav_link(view_name: str, label: str, request=None) -> str:
    return render(
        "{% nav_link view_name label %}", request=request, view_name=view_name, label=label
    )


@pytest.mark.parametrize("shown", list(NAV))
def test_nav_link_marks_exactly_the_page_shown(shown):
    request = request_for(shown)
    for view_name, label in NAV.items():
        current = ' aria-current="page"' if view_name == shown else ""
        assert nav_link(view_name, label, request) == (
            f'<li class="nav-item"><a class="nav-link" href="{reverse(view_name)}"{current}>'
            f"{label}</a></li>"
        )


def test_nav_link_marks_nothing_on_a_page_outside_the_navigation():
    request = request_for("clinic:dashboard")
    for view_name, label in NAV.items():
        assert "aria-current" not in nav_link(view_name, label, request)


def test_nav_link_marks_nothing_without_a_request_or_a_resolved_url():
    unresolved = RequestFactory().get("/no-such-page/")  # resolver_match is None
    for request in [None, unresolved]:
        assert nav_link("intake:patient_list", "Patients", request) == (
            f'<li class="nav-item"><a class="nav-link" href="{reverse("intake:patient_list")}">'
            "Patients</a></li>"
        )


def test_nav_link_escapes_its_label():
    assert "Tom &amp; Jerry &lt;b&gt;" in nav_link("clinic:audit_list", "Tom & Jerry <b>")


def _main_nav(content: str) -> str:
    return re.search(r'<ul class="navbar-nav me-auto">(.*?)</ul>', content, re.S).group(1)


def test_the_main_navigation_marks_the_page_shown(client, clinic_admin):
    client.force_login(clinic_admin)
    nav = _main_nav(client.get(reverse("intake:intake_queue")).content.decode())
    assert nav.count('aria-current="page"') == 1
    assert f'href="{reverse("intake:intake_queue")}" aria-current="page">Intakes</a>' in nav
    # The dashboard has no link of its own: nothing is marked.
    nav = _main_nav(client.get(reverse("clinic:dashboard")).content.decode())
    assert "aria-current" not in nav
    assert f'href="{reverse("admin:index")}">Admin</a>' in nav


# --- Label and class filters --------------------------------------------------------------


INTAKE_LABELS = {
    "not_sent": "Not sent",
    "sent": "Sent",
    "in_progress": "In progress",
    "submitted": "Submitted",
    "reviewed": "Reviewed",
}


@pytest.mark.parametrize(("status", "label"), INTAKE_LABELS.items())
def test_intake_status_label(status, label):
    assert clinic_tags.intake_status_label(status) == label
    assert render("{{ s|intake_status_label }}", s=status) == label


def test_intake_status_label_knows_every_status_the_chart_gives():
    assert set(clinic_tags.INTAKE_STATUS_LABELS) == set(INTAKE_LABELS)


@pytest.mark.parametrize(
    ("status", "label"), [("on_hold", "On hold"), ("odd", "Odd"), ("", ""), (None, "")]
)
def test_intake_status_label_of_an_unknown_status_is_its_own_words(status, label):
    assert clinic_tags.intake_status_label(status) == label


@pytest.mark.parametrize(
    ("status", "css"),
    [
        (TreatmentSession.Status.SIGNED, "text-bg-success"),
        (TreatmentSession.Status.DRAFT, "text-bg-warning"),
        (TreatmentSession.Status.DISCARDED, "text-bg-secondary"),
        ("signed", "text-bg-success"),
        ("draft", "text-bg-warning"),
        ("unknown", "text-bg-secondary"),
        (None, "text-bg-secondary"),
    ],
)
def test_session_status_class(status, css):
    assert clinic_tags.session_status_class(status) == css


def test_session_status_class_covers_every_status():
    known = {clinic_tags.session_status_class(s) for s in TreatmentSession.Status}
    assert known == {"text-bg-success", "text-bg-warning", "text-bg-secondary"}


@pytest.mark.parametrize(
    ("status", "css"),
    [
        (Appointment.Status.BOOKED, "text-bg-primary"),
        (Appointment.Status.ATTENDED, "text-bg-success"),
        (Appointment.Status.CANCELLED, "text-bg-secondary"),
        (Appointment.Status.NO_SHOW, "text-bg-secondary"),
        ("booked", "text-bg-primary"),
        ("attended", "text-bg-success"),
        ("unknown", "text-bg-secondary"),
        (None, "text-bg-secondary"),
    ],
)
def test_appointment_status_class(status, css):
    assert clinic_tags.appointment_status_class(status) == css


@pytest.mark.parametrize(
    ("code", "css"),
    [
        (Flag.DISCHARGE_SUGGESTED, "alert-success"),
        (Flag.BASELINE_LOW, "alert-info"),
        (Flag.NON_RESPONSE, "alert-warning"),
        (Flag.REVIEW_DUE, "alert-warning"),
        ("discharge_suggested", "alert-success"),
        ("baseline_low", "alert-info"),
        ("on_hold", "alert-warning"),
        ("unknown", "alert-warning"),
    ],
)
def test_plan_flag_class(code, css):
    assert clinic_tags.plan_flag_class(code) == css
    assert render("{{ c|plan_flag_class }}", c=code) == css


@pytest.mark.parametrize(
    ("level", "css", "label"),
    [
        (Level.REFUSE, "alert-danger", "Not allowed"),
        (Level.ACKNOWLEDGE, "alert-warning", "Safety warning"),
        (Level.CAUTION, "alert-info", "Caution"),
        ("refuse", "alert-danger", "Not allowed"),
        ("acknowledge", "alert-warning", "Safety warning"),
        ("caution", "alert-info", "Caution"),
        ("unknown", "alert-info", "Caution"),
        (None, "alert-info", "Caution"),
    ],
)
def test_finding_class_and_label(level, css, label):
    assert clinic_tags.finding_class(level) == css
    assert clinic_tags.finding_label(level) == label
    assert render("{{ l|finding_class }} {{ l|finding_label }}", l=level) == f"{css} {label}"


# --- The pager on a page with two lists ------------------------------------------------------

QUEUE_URL = "/intakes/"


def _ago(hours):
    return timezone.now() - datetime.timedelta(hours=hours)


def _registration(hours):
    """A self-registration: a submitted intake that no chart holds yet."""
    return IntakeFactory(
        patient=None,
        submitted=True,
        first_name="Sam",
        last_name="Rivera",
        date_of_birth=datetime.date(1980, 4, 25),
        submitted_at=_ago(hours),
    )


def _pager_links(content: str, heading_id: str) -> dict[str, str]:
    """{link text: href} of the pager in the section labelled by `heading_id`."""
    section = re.search(
        rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', content, re.S
    ).group(0)
    return {
        text: html.unescape(href)
        for href, text in re.findall(r'<a class="page-link" href="([^"]*)">([^<]*)</a>', section)
    }


def test_paging_one_list_of_the_intake_queue_keeps_the_other_lists_page(desk_client, settings):
    settings.INTAKES_PER_PAGE = 2
    for n in range(5):
        IntakeFactory(submitted=True, submitted_at=_ago(n))
    for n in range(5):
        _registration(n)
    assert Intake.objects.filter(patient=None).count() == 5

    content = desk_client.get(QUEUE_URL, {"page": 2, "rpage": 2}).content.decode()

    assert _pager_links(content, "review-heading") == {
        "Previous": "?page=1&rpage=2",
        "Next": "?page=3&rpage=2",
    }
    assert _pager_links(content, "registrations-heading") == {
        "Previous": "?page=2&rpage=1",
        "Next": "?page=2&rpage=3",
    }


def test_the_first_page_of_the_intake_queue_adds_the_parameter_after_the_others(
    desk_client, settings
):
    settings.INTAKES_PER_PAGE = 2
    for n in range(3):
        IntakeFactory(submitted=True, submitted_at=_ago(n))
        _registration(n)

    content = desk_client.get(QUEUE_URL, {"rpage": 2}).content.decode()

    assert _pager_links(content, "review-heading") == {"Next": "?rpage=2&page=2"}
    assert _pager_links(content, "registrations-heading") == {"Previous": "?rpage=1"}
