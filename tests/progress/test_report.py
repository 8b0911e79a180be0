"""The progress report PDF, /patients/<code>/progress/report.pdf (progress.report_views):
what it prints, on which paper, the letter to a referral contact, and its audit entry.

The text of each PDF is read back with poppler's pdftotext and pdfinfo."""

import datetime
import re
import shutil
import subprocess
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from checkins.models import CheckIn
from progress import report
from sessions.models import AdverseEvent
from tests.factories import (
    IntakeFactory,
    PatientFactory,
    ReferralContactFactory,
    make_plan,
    sign_history,
)

pytestmark = pytest.mark.django_db

PDFTOTEXT, PDFINFO = shutil.which("pdftotext"), shutil.which("pdfinfo")
needs_poppler = pytest.mark.skipif(
    not (PDFTOTEXT and PDFINFO), reason="poppler-utils (pdftotext, pdfinfo) is not installed"
)

TODAY = timezone.localdate()


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def moment(day: datetime.date, hour: int = 18) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def url(patient, **query) -> str:
    path = reverse("progress:report_pdf", kwargs={"code": patient.code})
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(  # noqa: S603 - poppler's tool on the test's own file
        [PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


def pdf_info(pdf: bytes, tmp_path) -> dict[str, str]:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(  # noqa: S603 - poppler's tool on the test's own file
        [PDFINFO, str(path)], capture_output=True, check=True, text=True
    )
    return dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in done.stdout.splitlines())
    )


@pytest.fixture
def physician(db):
    return ReferralContactFactory(
        name="Dr Anna Patel", profession="physician", organisation="Mission Family Practice"
    )


@pytest.fixture
def treated(patient, acupuncturist, physician):
    """A typical patient: an intake, a plan with home care and a referral, 10 signed
    sessions (pain before 8 falling to 4), 2 answered check-ins, 1 adverse event."""
    start = days_ago(70)
    IntakeFactory(
        patient=patient,
        submitted=True,
        submitted_at=moment(start - datetime.timedelta(days=3), 9),
        pain_types=["lower_back_pain", "sciatica"],
        triggers=["prolonged_sitting", "lifting_or_bending"],
        onset="gradual",
        months_with_pain=14,
        pain_now=8,
        pain_medication_doses=12,
        psfs_activity_1="Sitting through a meeting",
        psfs_score_1=3,
        psfs_activity_2="Lifting my grandson",
        psfs_score_2=2,
    )
    make_plan(
        patient,
        user=acupuncturist,
        advice=["exercise", "posture"],
        advice_notes="Walk 20 minutes a day.",
        referrals=[physician],
        referral_notes="Review of pain medication.",
        months_with_pain=14,
    )
    sessions = sign_history(
        patient, user=acupuncturist, scores=[8, 7, 7, 6, 6, 5, 5, 5, 4, 4], start=start
    )
    AdverseEvent.objects.create(
        session=sessions[2], kind="bruising", severity="mild", causality="probable"
    )
    for day, pain, pgic in ((days_ago(30), 5, 3), (days_ago(2), 3, 2)):
        CheckIn.objects.create(
            patient=patient,
            reason=CheckIn.Reason.ON_DEMAND,
            expires_at=moment(day) + CheckIn.VALID_FOR,
            created_at=moment(day, 8),
            submitted_at=moment(day),
            psfs_activity_1="Sitting through a meeting",
            psfs_activity_2="Lifting my grandson",
            pain_now=pain,
            pain_worst=pain + 1,
            psfs_score_1=7,
            psfs_score_2=6,
            pain_medication_doses=4,
            pgic=pgic,
        )
    return patient


@pytest.fixture
def clinician(client, acupuncturist):
    client.force_login(acupuncturist)
    return client


# --- Who may download it -----------------------------------------------------------


def test_front_desk_is_refused_the_report(desk_client, patient):
    response = desk_client.get(url(patient))

    assert response.status_code == 403


def test_front_desk_is_refused_before_the_code_is_looked_up(desk_client):
    response = desk_client.get(url(PatientFactory.build()))

    assert response.status_code == 403


def test_an_unknown_chart_is_not_found(clinician):
    assert clinician.get(url(PatientFactory.build())).status_code == 404


def test_a_clinic_admin_downloads_the_report(client, clinic_admin, treated):
    client.force_login(clinic_admin)

    response = client.get(url(treated))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


# --- The download ---------------------------------------------------------------------


@needs_poppler
def test_the_report_prints_the_patient_the_scores_and_the_practitioner(
    clinician, treated, acupuncturist, tmp_path
):
    response = clinician.get(url(treated))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content, tmp_path)
    words = " ".join(text.split())
    assert "Jane Doe" in words
    assert re.search(r"Baseline 8\b", words)
    # The latest check-in (pain now 3) is later than the last session (4).
    assert re.search(r"Current 3\b", words)
    assert "\N{MINUS SIGN}5 63% below baseline" in words
    assert "Substantial improvement" in words
    assert acupuncturist.get_full_name() in words
    assert "licence AC-" in words
    assert "Lower back pain" in words
    assert "Walk 20 minutes a day." in words
    assert "Dr Anna Patel" in words
    assert "Bruising / haematoma, mild" in words
    assert "Much improved" in words


@needs_poppler
def test_a_typical_patient_fits_on_one_page(clinician, treated, physician, tmp_path):
    for query in ({}, {"paper": "a4"}, {"contact": physician.pk}):
        response = clinician.get(url(treated, **query))

        assert pdf_info(response.content, tmp_path)["Pages"] == "1", query


def test_the_download_is_an_attachment_named_without_patient_details(clinician, treated):
    response = clinician.get(url(treated))

    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="progress-report-{TODAY:%Y-%m-%d}.pdf"'
    assert "no-store" in response["Cache-Control"]


# --- Paper ------------------------------------------------------------------------------


@needs_poppler
def test_the_paper_is_the_clinics_setting_unless_the_link_asks(
    clinician, treated, settings, tmp_path
):
    settings.REPORT_PAPER = "a4"
    default = pdf_info(clinician.get(url(treated)).content, tmp_path)["Page size"]
    letter = pdf_info(clinician.get(url(treated, paper="letter")).content, tmp_path)["Page size"]
    a4 = pdf_info(clinician.get(url(treated, paper="A4")).content, tmp_path)["Page size"]

    assert "(A4)" in default
    assert "(letter)" in letter
    assert "(A4)" in a4


def test_a_paper_the_report_does_not_come_in_is_a_bad_request(clinician, treated):
    response = clinician.get(url(treated, paper="legal"))

    assert response.status_code == 400
    assert not AuditEntry.objects.filter(event=AuditEntry.Event.EXPORT).exists()


# --- The letter to a referral contact ---------------------------------------------------


@needs_poppler
def test_the_letter_is_addressed_to_a_contact_of_the_plan(clinician, treated, physician, tmp_path):
    response = clinician.get(url(treated, contact=physician.pk))

    assert response.status_code == 200
    words = " ".join(pdf_text(response.content, tmp_path).split())
    assert "Dear Dr Anna Patel," in words
    assert "Mission Family Practice" in words
    assert "Re: Jane Doe, born" in words
    assert "fallen from 8 at baseline to 3 (5 points, 63%), a substantial improvement" in words
    assert "Yours sincerely" in words


def test_the_plan_page_links_each_referral_to_its_letter(clinician, treated, physician):
    page = clinician.get(reverse("plans:plan_detail", kwargs={"code": treated.code}))

    link = url(treated, contact=physician.pk)
    assert f'href="{link}"'.encode() in page.content
    assert clinician.get(link)["Content-Type"] == "application/pdf"


def test_a_contact_of_another_patients_plan_is_not_found(clinician, treated, acupuncturist):
    other = PatientFactory()
    theirs = ReferralContactFactory(name="Dr Other")
    make_plan(other, user=acupuncturist, referrals=[theirs])

    response = clinician.get(url(treated, contact=theirs.pk))

    assert response.status_code == 404


@pytest.mark.parametrize("contact", ["999999", "abc", "%C2%B2"])
def test_an_unknown_contact_is_not_found(clinician, treated, contact):
    assert clinician.get(url(treated, contact=contact)).status_code == 404


def test_a_patient_without_a_plan_has_no_contact_to_write_to(clinician, patient, physician):
    assert clinician.get(url(patient, contact=physician.pk)).status_code == 404


# --- The audit trail ----------------------------------------------------------------------


def test_each_download_is_an_export_in_the_audit_trail(
    clinician, treated, acupuncturist, physician
):
    clinician.get(url(treated, paper="a4"))
    clinician.get(url(treated, contact=physician.pk))

    entries = list(
        AuditEntry.objects.filter(event=AuditEntry.Event.EXPORT).order_by("timestamp", "pk")
    )
    assert len(entries) == 2
    for entry in entries:
        assert entry.patient_id == treated.pk
        assert entry.actor == acupuncturist
        # The path only: no query string, no name.
        assert entry.path == url(treated)
        assert "Doe" not in entry.path
    assert entries[1].change_rows == [("letter to", "", str(physician))]


# --- Rendering ---------------------------------------------------------------------------


def test_a_patient_with_nothing_recorded_still_gets_a_report(clinician, patient):
    response = clinician.get(url(patient))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_the_report_renders_in_well_under_a_second(clinician, treated):
    clinician.get(url(treated))  # fonts and stylesheets load once per process

    started = time.perf_counter()
    clinician.get(url(treated))

    # About 0.2-0.3 s on a developer machine; the bound catches a slow path (a fetch
    # waiting on a network, a font scan), not a busy test runner.
    assert time.perf_counter() - started < 2


def test_the_renderer_reads_the_apps_static_files_and_nothing_else():
    fetcher = report.StaticOnlyFetcher()

    stylesheet = fetcher.fetch(report.STATIC_BASE + report.STYLESHEET)
    assert b"@page" in stylesheet.read()
    for refused in (
        "https://example.com/style.css",
        "http://static.invalid/css/report.css",
        "file:///etc/passwd",
        report.STATIC_BASE + "../../etc/passwd",
        report.STATIC_BASE + "css/missing.css",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(refused)
