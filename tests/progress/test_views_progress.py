"""The progress page /patients/<code>/progress/: key figures, marks for machines,
charts, who may open it, its audit entry and its query count."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from tests.factories import PatientFactory, make_plan, sign_history
from tests.progress.test_selectors import check_in, days_ago, history, intake_for

pytestmark = pytest.mark.django_db


def url(patient, **query):
    path = reverse("progress:progress", kwargs={"code": patient.code})
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def marks(html: str) -> dict:
    """The data-* marks of the one element carrying the key figures."""
    elements = re.findall(r"<[^>]*\bdata-baseline=[^>]*>", html)
    assert len(elements) == 1
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', elements[0]))


def test_anonymous_visitors_are_sent_to_log_in(client, patient):
    response = client.get(url(patient))

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_the_front_desk_may_not_see_progress(client, front_desk, patient):
    client.force_login(front_desk)

    assert client.get(url(patient)).status_code == 403


@pytest.mark.parametrize("role", ["acupuncturist", "clinic_admin"])
def test_clinicians_see_the_page(client, users, patient, role):
    client.force_login(users[role])

    assert client.get(url(patient)).status_code == 200


def test_an_unknown_code_is_not_found(client, acupuncturist):
    client.force_login(acupuncturist)
    missing = reverse("progress:progress", kwargs={"code": "00000000-0000-0000-0000-000000000000"})

    assert client.get(missing).status_code == 404


def test_the_key_figures_are_in_plain_clinical_words_and_marks(client, acupuncturist, patient):
    history(patient, acupuncturist, [6, 5, 4, 4, 3, 3], months_with_pain=10)  # baseline 7
    client.force_login(acupuncturist)

    response = client.get(url(patient))
    html = response.content.decode()

    assert marks(html) == {
        "baseline": "7",
        "current": "3",
        "change-points": "4",
        "change-percent": "57",
        "important": "true",
        "sessions": "6",
    }
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "7 → 3 (−4 points, −57%): clinically important and substantial improvement" in text
    assert "6 of an estimated 10" in text
    assert 'href="' + reverse("progress:report_pdf", kwargs={"code": patient.code}) in html
    assert 'href="' + reverse("plans:plan_detail", kwargs={"code": patient.code}) in html


def test_a_patient_without_sessions_gets_a_sentence_and_no_chart(client, acupuncturist, patient):
    intake_for(patient, day=days_ago(3), pain_now=6)
    client.force_login(acupuncturist)

    html = client.get(url(patient)).content.decode()

    assert marks(html) == {
        "baseline": "6",
        "current": "",
        "change-points": "",
        "change-percent": "",
        "important": "false",
        "sessions": "0",
    }
    assert "nothing to chart" in html
    assert "chart-pain" not in html


def test_a_baseline_below_2_is_never_marked_important(client, acupuncturist, patient):
    intake_for(patient, day=days_ago(30), pain_now=1)
    make_plan(patient, user=acupuncturist)
    sign_history(patient, user=acupuncturist, scores=[1, 0], start=days_ago(14))
    client.force_login(acupuncturist)

    html = client.get(url(patient)).content.decode()

    assert marks(html)["important"] == "false"
    assert marks(html)["change-percent"] == "100"
    assert "a baseline below 2 leaves no room" in html


def test_a_flare_shows_as_a_smaller_change(client, acupuncturist, patient):
    history(patient, acupuncturist, [7, 4, 3, 7])  # baseline 8
    client.force_login(acupuncturist)

    found = marks(client.get(url(patient)).content.decode())

    assert (found["current"], found["change-points"], found["important"]) == ("7", "1", "false")


def test_a_later_check_in_is_the_current_pain(client, acupuncturist, patient):
    history(patient, acupuncturist, [6, 6], weeks_ago=3)
    check_in(patient, day=days_ago(1), pain_now=4, pgic=3)
    client.force_login(acupuncturist)

    html = client.get(url(patient)).content.decode()

    assert marks(html)["current"] == "4"
    assert "A little improved" in html
    assert "chart-check-in-mark" in html


def test_the_page_is_drawn_without_inline_style_or_script(client, acupuncturist, patient):
    sessions = history(patient, acupuncturist, [6, 5, 4], advice=["exercise"])
    for session, doses in zip(sessions, (8, 6, 3), strict=True):
        session.pain_medication_doses = doses
        session.save(update_fields=["pain_medication_doses"])
    check_in(patient, day=days_ago(1), pain_now=3, psfs_score_1=7, pain_medication_doses=2)
    client.force_login(acupuncturist)

    html = client.get(url(patient)).content.decode()

    assert html.count("<svg") >= 3  # pain, doses, PSFS (and legend swatches)
    assert 'role="img"' in html
    assert " style=" not in html
    assert "<style" not in html
    assert "<script>" not in html
    assert "Pain as a table" in html


def test_a_long_history_shows_its_last_months_and_the_whole_on_request(
    client, acupuncturist, patient
):
    start = timezone.localdate() - datetime.timedelta(days=400)
    intake_for(patient, day=start - datetime.timedelta(days=2), pain_now=8)
    make_plan(patient, user=acupuncturist)
    sign_history(patient, user=acupuncturist, scores=[7] * 15, start=start, step_days=28)
    client.force_login(acupuncturist)

    recent = client.get(url(patient)).content.decode()
    whole = client.get(url(patient, range="all")).content.decode()

    assert "?range=all" in recent
    assert recent.count('class="chart-before-mark"') < 15
    assert whole.count('class="chart-before-mark"') == 15


def test_opening_the_page_is_audited_as_a_read(client, acupuncturist, patient):
    client.force_login(acupuncturist)

    client.get(url(patient))

    entry = AuditEntry.objects.filter(patient=patient).latest("timestamp")
    assert entry.event == AuditEntry.Event.READ
    assert entry.actor == acupuncturist
    assert entry.path == url(patient)


@pytest.mark.parametrize("count", [3, 30])
def test_the_page_runs_the_same_queries_however_long_the_history(
    client, acupuncturist, django_assert_num_queries, count
):
    patient = PatientFactory()
    history(patient, acupuncturist, [7 - (n % 4) for n in range(count)])
    check_in(patient, day=days_ago(1), pain_now=3, pgic=2)
    client.force_login(acupuncturist)
    client.get(url(patient))  # warm the session and permission caches

    with django_assert_num_queries(13):
        response = client.get(url(patient))

    assert response.status_code == 200


def test_the_chart_page_links_clinicians_to_progress_with_a_sparkline(
    client, acupuncturist, patient
):
    history(patient, acupuncturist, [7, 5, 4])
    client.force_login(acupuncturist)

    html = client.get(
        reverse("clinic:patient_detail", kwargs={"code": patient.code})
    ).content.decode()

    assert url(patient) in html
    assert 'class="pain-sparkline"' in html
    assert "Pain 7 → 4" in html


def test_the_front_desk_gets_no_progress_link_on_the_chart(
    client, front_desk, acupuncturist, patient
):
    history(patient, acupuncturist, [7, 5, 4])
    client.force_login(front_desk)

    html = client.get(
        reverse("clinic:patient_detail", kwargs={"code": patient.code})
    ).content.decode()

    assert url(patient) not in html
    assert "pain-sparkline" not in html
