"""The clinic's outcomes page, /outcomes/: who sees it, its filters, its CSV download and
its fixed number of queries. The figures themselves: tests/progress/test_outcomes.py."""

import csv
import io

import pytest
from django.urls import reverse

from sessions.models import AdverseEvent
from tests.factories import PractitionerProfileFactory
from tests.progress.test_outcomes import days_ago, treat

pytestmark = pytest.mark.django_db

URL = reverse("progress:outcomes")


@pytest.fixture
def acupuncturist_client(client, acupuncturist):
    client.force_login(acupuncturist)
    return client


def _history(acupuncturist):
    """Two improved of four measured, and one adverse event in 18 sessions."""
    improved = treat(acupuncturist, [8, 7, 6, 5], pain_types=["neck_pain"])
    treat(acupuncturist, [8, 6, 5, 4], pain_types=["migraine"])
    treat(acupuncturist, [8, 8, 7, 7], pain_types=["migraine"])
    treat(acupuncturist, [7, 6, 6, 5, 5, 5], pain_types=["lower_back_pain"])
    AdverseEvent.objects.create(
        session=improved.sessions[0], kind="bruising", severity="mild", causality="probable"
    )


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_front_desk_is_refused_and_sees_no_link(client, front_desk):
    client.force_login(front_desk)

    assert client.get(URL).status_code == 403
    assert URL not in client.get(reverse("clinic:dashboard")).content.decode()


def test_practitioners_see_the_figures_with_their_counts(acupuncturist_client, acupuncturist):
    _history(acupuncturist)

    response = acupuncturist_client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="{URL}"' in page  # the navigation's link
    assert "2 of 4 (50%)" in page  # clinically important improvement
    assert "1 of 4 (25%)" in page  # substantial
    assert "1 of 4 (25%)" in page  # patients with an adverse event
    assert "8.6%" in page and "6.1%" in page  # the published references
    assert "Improvement by pain type" in page and "Migraine" in page
    assert "5.6" in page  # bruising: 1 in 18 sessions, per 100


def test_the_clinic_admin_sees_the_page(client, clinic_admin):
    client.force_login(clinic_admin)

    response = client.get(URL)

    assert response.status_code == 200
    assert "No patients on a plan and no signed sessions match" in response.content.decode()


def test_the_filters_narrow_the_figures(acupuncturist_client, acupuncturist):
    _history(acupuncturist)
    other = PractitionerProfileFactory().user
    treat(other, [8, 4, 4, 4], pain_types=["migraine"])

    response = acupuncturist_client.get(
        URL, {"practitioner": acupuncturist.pk, "pain_type": "migraine", "date_to": days_ago(0)}
    )

    assert response.status_code == 200
    assert response.context["outcomes"].overall.important.out_of == 2
    assert "1 of 2 (50%)" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"practitioner": "abc"}, "practitioner", "Choose a practitioner from the list."),
        ({"practitioner": "99999999999999999999"}, "practitioner", "Choose a practitioner"),
        ({"date_from": "2024-13-45"}, "date_from", "Enter a date as YYYY-MM-DD."),
        ({"date_to": "9999-12-31"}, "date_to", "Enter a date between 1900 and 2199."),
        ({"pain_type": "back_pain"}, "pain_type", "Choose a pain type from the list."),
        (
            {"date_from": "2025-03-01", "date_to": "2025-02-01"},
            "date_to",
            "The end date is before the start date.",
        ),
        ({"pain_type": "'; DROP TABLE x", "format": "csv"}, "pain_type", "Choose a pain type"),
    ],
)
def test_a_bad_filter_gets_a_message_next_to_its_field(
    acupuncturist_client, acupuncturist, query, field, message
):
    _history(acupuncturist)

    response = acupuncturist_client.get(URL, query)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response.context["outcomes"] is None
    page = response.content.decode()
    assert f'id="id_{field}"' in page
    error = page.split(f'id="error_1_id_{field}"', 1)[1]
    assert message in error.split("</", 1)[0]
    assert "Nothing to show: check the field above." in page


def test_the_csv_download_holds_the_table(acupuncturist_client, acupuncturist):
    _history(acupuncturist)

    response = acupuncturist_client.get(URL, {"format": "csv", "pain_type": "migraine"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="outcomes-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "Figure",
        "Group",
        "Count",
        "Out of",
        "Value",
        "Unit",
        "Published reference (%)",
    ]
    assert ["Clinically important improvement", "All", "1", "2", "50.0", "%", ""] in rows
    assert ["Patients with any adverse event", "All", "0", "2", "0.0", "%", "8.6"] in rows


def test_the_page_links_to_the_csv_of_the_same_filters(acupuncturist_client, acupuncturist):
    response = acupuncturist_client.get(URL, {"pain_type": "migraine"})

    assert 'href="?pain_type=migraine&amp;format=csv"' in response.content.decode()


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted(acupuncturist_client):
    practitioner = PractitionerProfileFactory(
        user__first_name='=HYPERLINK("http://evil.example")', user__last_name="@Sum"
    ).user
    treat(practitioner, [8, 5, 5, 5])

    response = acupuncturist_client.get(URL, {"format": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    groups = {row[1] for row in rows}
    assert '\'=HYPERLINK("http://evil.example") @Sum' in groups
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


# Session, user and permissions (4), the figures (3) and the filter's practitioners.
OUTCOMES_PAGE_QUERIES = 8


@pytest.mark.parametrize("patients", [3, 15])
def test_the_page_runs_the_same_queries_for_few_and_many_patients(
    acupuncturist_client, acupuncturist, django_assert_num_queries, patients
):
    other = PractitionerProfileFactory().user
    for number in range(patients):
        plan = treat(
            (acupuncturist, other)[number % 2],
            [8, 7 - number % 4, 6, 5 - number % 3],
            pain_types=[("neck_pain", "migraine", "lower_back_pain")[number % 3]],
            intake_doses=number % 5,
            doses=[None, 3, None, number % 4],
        )
        AdverseEvent.objects.create(
            session=plan.sessions[number % 4],
            kind="bruising",
            severity="mild",
            causality="possible",
        )

    with django_assert_num_queries(OUTCOMES_PAGE_QUERIES):
        response = acupuncturist_client.get(URL)
    assert response.context["outcomes"].patients == patients

    with django_assert_num_queries(OUTCOMES_PAGE_QUERIES - 1):  # no practitioner list
        acupuncturist_client.get(URL, {"format": "csv"})
