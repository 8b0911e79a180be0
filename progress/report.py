"""The progress report: one printed page on how a patient is doing, for the chart or
for a referring clinician (a letter to a contact of the plan's referrals).

The figures come from progress.selectors.patient_progress; this module adds what a
letter needs around them (the clinic, the practitioner's licence, the contact, the
covering paragraph) and renders the page with WeasyPrint. WeasyPrint fetches nothing
from the network: the only files it may read are the app's own static files.
"""

import datetime
import mimetypes
import posixpath
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from accounts.models import PractitionerProfile
from core.models import Clinic
from intake.models import Intake, Patient
from intake.selectors import latest_submitted_intake
from intake.vocabulary import Onset, PainType
from plans.models import Plan, ReferralContact
from progress.charts import chart_axis, pain_chart
from progress.figures import PainChange
from progress.selectors import Progress

PAPERS = {"letter": "letter", "a4": "A4"}
TEMPLATE = "progress/report.html"
STYLESHEET = "css/report.css"

# The document's base URL: a host that cannot resolve (RFC 6761), so the page's
# relative links name the app's static files and nothing else.
STATIC_BASE = "https://static.invalid/"


class ReportPaper(ValueError):
    """?paper= named a size the report does not come in."""


def paper_for(requested: str | None) -> str:
    """ "letter" or "a4": the request's choice, or the clinic's setting when none."""
    if requested is None or requested == "":
        return settings.REPORT_PAPER
    paper = requested.strip().lower()
    if paper not in PAPERS:
        raise ReportPaper(f"paper must be one of: {', '.join(PAPERS)}")
    return paper


class StaticOnlyFetcher(URLFetcher):
    """Serves the app's static files under STATIC_BASE and refuses any other URL
    (http, file, data and the rest): a report never reaches the network or the disk
    outside the static folders."""

    def __init__(self):
        super().__init__(allowed_protocols=("https",))

    def fetch(self, url, headers=None):
        if not url.startswith(STATIC_BASE):
            raise ValueError(f"The report loads only the app's static files, not {url!r}.")
        name = posixpath.normpath(url[len(STATIC_BASE) :].split("?")[0].split("#")[0])
        if name.startswith(("/", "..")) or name == ".":
            raise ValueError(f"Not a static file: {url!r}.")
        path = static_path(name)
        if path is None:
            raise ValueError(f"No static file {name!r}.")
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), headers={"Content-Type": content_type})


def static_path(name: str) -> Path | None:
    """The file for a static name: from the apps' static folders (finders), else from
    STATIC_ROOT (collectstatic's copy), never outside them."""
    found = finders.find(name)
    if found:
        return Path(found)
    if settings.STATIC_ROOT:
        root = Path(settings.STATIC_ROOT).resolve()
        path = (root / name).resolve()
        if path.is_relative_to(root) and path.is_file():
            return path
    return None


# --- What the page says ---------------------------------------------------------------


@dataclass(frozen=True)
class Practitioner:
    name: str
    licence: str  # "State Acupuncture Board licence AC-00012", or "" without a profile


@dataclass(frozen=True)
class Letter:
    """The letter form's addressee and covering words."""

    contact: ReferralContact
    salutation: str
    covering: str


def report_plan(progress: Progress) -> Plan | None:
    """The plan the figures describe (the selector's), with its practitioner's licence
    and its referral contacts, which the letter needs."""
    if progress.plan is None:
        return None
    return (
        Plan.objects.select_related("practitioner__practitioner_profile")
        .prefetch_related("referrals")
        .get(code=progress.plan.code)
    )


def practitioner_for(plan: Plan | None, user) -> Practitioner | None:
    """Who signs the report: the plan's practitioner, else the user downloading it if
    they are a practitioner."""
    person = plan.practitioner if plan is not None else None
    if person is None and _profile(user) is not None:
        person = user
    if person is None:
        return None
    profile = _profile(person)
    licence = f"{profile.licensing_body} licence {profile.licence_number}" if profile else ""
    return Practitioner(person.get_full_name() or person.get_username(), licence)


def _profile(user) -> PractitionerProfile | None:
    try:
        return user.practitioner_profile
    except PractitionerProfile.DoesNotExist:
        return None


def contact_for(plan: Plan | None, contact_id: str | None) -> ReferralContact | None:
    """The contact named by ?contact=, which must be one of the plan's referrals:
    an unknown id, or a contact of another patient's plan, is a 404."""
    if not contact_id:
        return None
    if plan is None or not (contact_id.isascii() and contact_id.isdigit()):
        raise Http404
    for contact in plan.referrals.all():
        if contact.pk == int(contact_id):
            return contact
    raise Http404


def complaint_words(intake: Intake | None) -> str:
    """The pain types as a phrase for a sentence: "neck pain and migraine"."""
    if intake is None:
        return ""
    words = [
        label.split(" / ")[0].lower()
        for value, label in PainType.choices
        if value in (intake.pain_types or ()) and value != PainType.OTHER
    ]
    if len(words) > 1:
        return ", ".join(words[:-1]) + " and " + words[-1]
    return "".join(words)


def tenth(value: Fraction | None, *, sign: bool = False) -> str:
    """A PSFS mean to one decimal place ("6.3", or "+2.3" with `sign`), or ""."""
    if value is None:
        return ""
    return f"{float(value):+.1f}" if sign else f"{float(value):.1f}"


def signed(value: int | None) -> str:
    """ "+2", "\N{MINUS SIGN}5", "0", or "" for none."""
    if value is None:
        return ""
    return f"+{value}" if value > 0 else f"\N{MINUS SIGN}{-value}" if value < 0 else "0"


@dataclass(frozen=True)
class MeasureRow:
    label: str
    then: str
    now: str
    change: str
    note: str = ""


def measure_rows(progress: Progress) -> list[MeasureRow]:
    """Function, medication and headaches at intake and now, as the page prints them."""
    rows = []
    psfs = progress.psfs
    if psfs.known:
        rows.append(
            MeasureRow(
                "Function (PSFS mean, 0-10, higher is better)",
                tenth(psfs.then_mean),
                tenth(psfs.now_mean),
                tenth(psfs.change, sign=True),
                "clinically important" if psfs.important else "",
            )
        )
    for label, measure, always in (
        ("Pain-medication doses in the last 7 days", progress.doses, True),
        ("Headache days in the last 30 days", progress.headache_days, False),
    ):
        if always or measure.known:
            rows.append(
                MeasureRow(
                    label,
                    "" if measure.then is None else str(measure.then.value),
                    "" if measure.now is None else str(measure.now.value),
                    signed(measure.change),
                )
            )
    return rows


def pain_delta(change: PainChange) -> tuple[str, str]:
    """The change as the page shows it: ("−3", "38% below baseline")."""
    if not change.known:
        return "", ""
    rise = -change.points
    delta = signed(rise)
    if change.percent is None or rise == 0:
        return delta, ""
    return delta, f"{abs(change.percent)}% {'above' if rise > 0 else 'below'} baseline"


def report_context(patient: Patient, progress: Progress, *, user, contact_id: str | None) -> dict:
    """Everything the page shows. ?contact= is checked before anything is rendered."""
    plan = report_plan(progress)
    contact = contact_for(plan, contact_id)
    intake = latest_submitted_intake(patient, answers=True)
    delta, percent = pain_delta(progress.change)
    letter = None
    if contact is not None:
        letter = letter_for(
            contact,
            patient=patient,
            change=progress.change,
            sessions=progress.session_count,
            first=progress.first_session,
            complaint=complaint_words(intake),
        )
    return {
        "clinic": Clinic.current(),
        "patient": patient,
        "progress": progress,
        "plan": progress.plan,
        "practitioner": practitioner_for(plan, user),
        "intake": intake,
        "regions": [r.mark.label for r in intake.regions_in_order] if intake else [],
        "onset": Onset(intake.onset).label.lower() if intake and intake.onset else "",
        "months_with_pain": (plan.months_with_pain if plan else None)
        or (intake.months_with_pain if intake else None),
        "measures": measure_rows(progress),
        # The progress page's pain chart, over the whole history.
        "chart": pain_chart(progress, chart_axis(progress, whole=True)),
        "pain_delta": delta,
        "pain_percent": percent,
        "letter": letter,
        "today": progress.today,
    }


def letter_for(
    contact: ReferralContact,
    *,
    patient: Patient,
    change: PainChange,
    sessions: int,
    first: datetime.date | None,
    complaint: str,
) -> Letter:
    """The salutation and a short covering paragraph, in the figures' own terms."""
    name = patient.full_name
    parts = [
        f"I am writing to update you on {name}'s progress with acupuncture"
        + (f" for {complaint}" if complaint else "")
        + "."
    ]
    if sessions:
        since = f" since {first:%-d %B %Y}" if first else ""
        visits = "session" if sessions == 1 else "sessions"
        parts.append(f"{name} has attended {sessions} treatment {visits}{since}.")
    if change.known:
        scale = "on the 0-10 numeric rating scale"
        if change.points > 0:
            parts.append(
                f"Pain {scale} has fallen from {change.baseline} at baseline to "
                f"{change.current} ({change.points} points, {change.percent}%), "
                + (
                    "a substantial improvement (at least 2 points and 50%)."
                    if change.substantial
                    else "a clinically important improvement (at least 2 points and 30%)."
                    if change.important
                    else "which is below the threshold for a clinically important "
                    "improvement (at least 2 points and 30%)."
                )
            )
        elif change.points == 0:
            parts.append(f"Pain {scale} is unchanged at {change.current}.")
        else:
            parts.append(
                f"Pain {scale} has risen from {change.baseline} at baseline to {change.current}."
            )
    parts.append(
        "The measures, any adverse events and the current plan are summarised below. "
        "I would be glad to discuss them with you."
    )
    return Letter(contact, f"Dear {contact.name},", " ".join(parts))


# --- Rendering ------------------------------------------------------------------------


def render_pdf(context: dict, *, paper: str) -> bytes:
    html = render_to_string(TEMPLATE, {**context, "stylesheet": STYLESHEET})
    page = CSS(string=f"@page {{ size: {PAPERS[paper]}; }}")
    return HTML(string=html, base_url=STATIC_BASE, url_fetcher=StaticOnlyFetcher()).write_pdf(
        stylesheets=[page]
    )


def filename(today: datetime.date | None = None) -> str:
    """No name, birth date or chart code: a downloaded file's name shows in folders,
    mail attachments and browser histories."""
    return f"progress-report-{today or timezone.localdate():%Y-%m-%d}.pdf"
