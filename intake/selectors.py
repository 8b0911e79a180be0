"""Reads of patients and intakes that views and other apps need, each in a fixed
number of queries."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page, Paginator

from intake.duplicates import Identity, duplicate_reasons
from intake.models import Intake, IntakeInvitation, Patient
from intake.steps import answer_sections


def latest_submitted_intake(
    patient: Patient, *, submitted_before: datetime.datetime | None = None, answers=False
) -> Intake | None:
    """The intake whose answers clinicians act on: the patient's last submitted one
    (reviewed or not), optionally only among those submitted before a moment. With
    `answers`, its pain regions, medicines and reviewer come along (3 queries)."""
    intakes = patient.intakes.submitted()
    if submitted_before is not None:
        intakes = intakes.filter(submitted_at__lt=submitted_before)
    if answers:
        intakes = intakes.select_related("reviewed_by").prefetch_related("regions", "medications")
    return intakes.order_by("-submitted_at", "-pk").first()


def intake_status(latest: Intake | None, open_link: IntakeInvitation | None) -> str:
    """The patient's intake status as the chart shows it (data-intake-status), from
    their latest intake that is not discarded and their link not stopped."""
    link_waiting = (
        open_link is not None
        and open_link.is_usable
        and open_link.intake_id is None
        # A link made after the latest intake's last step (its start or submission)
        # is what the clinic waits for now.
        and (latest is None or open_link.created_at > (latest.submitted_at or latest.created_at))
    )
    if link_waiting:
        return "sent"
    if latest is None:
        return "not_sent"
    return {
        Intake.Status.DRAFT: "in_progress",
        Intake.Status.SUBMITTED: "submitted",
        Intake.Status.REVIEWED: "reviewed",
    }[latest.status]


def intake_overview(patient: Patient, *, clinical: bool) -> dict:
    """What the chart shows of the patient's intake: its status (the contract's
    data-intake-status), the open or expired link and, for clinicians, the answers.
    Constant queries: 2, or 5 with the answers."""
    latest = patient.intakes.exclude(status=Intake.Status.DISCARDED).order_by("-created_at").first()
    open_link = patient.intake_invitations.filter(revoked_at__isnull=True).first()
    overview = {
        "status": intake_status(latest, open_link),
        "latest": latest,
        "open_link": open_link if open_link is not None and open_link.is_usable else None,
        "expired_link": open_link if open_link is not None and open_link.is_expired else None,
        "answers": None,
    }
    if clinical:
        # The answers clinicians read: the last submitted intake, even while a newer
        # one is being filled in.
        answers = latest_submitted_intake(patient, answers=True)
        overview["answers"] = answers
        overview["sections"] = answer_sections(answers) if answers else []
    return overview


@dataclass(frozen=True)
class IntakeSummary:
    """One patient's intake as a list of the day shows it."""

    # As the chart's data-intake-status.
    status: str
    # The last submitted intake, whose answers (and safety badges) clinicians act on.
    answers: Intake | None


def intake_summaries(patient_ids) -> dict[int, IntakeSummary]:
    """Each patient's intake status and last submitted intake, by patient id, as
    intake_overview and latest_submitted_intake give them one chart at a time
    (2 queries, whatever the number of patients)."""
    ids = set(patient_ids)
    if not ids:
        return {}
    intakes: dict[int, list[Intake]] = {}
    for intake in Intake.objects.filter(patient_id__in=ids).exclude(status=Intake.Status.DISCARDED):
        intakes.setdefault(intake.patient_id, []).append(intake)
    links = {
        link.patient_id: link
        for link in IntakeInvitation.objects.filter(patient_id__in=ids, revoked_at__isnull=True)
    }
    summaries = {}
    for patient_id in ids:
        own = intakes.get(patient_id, [])
        latest = max(own, key=lambda i: (i.created_at, i.pk), default=None)
        submitted = [
            i for i in own if i.status in (Intake.Status.SUBMITTED, Intake.Status.REVIEWED)
        ]
        answers = max(submitted, key=lambda i: (i.submitted_at, i.pk), default=None)
        summaries[patient_id] = IntakeSummary(intake_status(latest, links.get(patient_id)), answers)
    return summaries


def patient_page(*, query: str, status: str, page_number) -> Page:
    """A page of the patient list: `status` "active", "archived" or "all", and the
    search (name, date of birth, phone, email)."""
    patients = Patient.objects.all()
    if status != "all":
        patients = patients.filter(status=status)
    patients = patients.search(query).only(
        "code",
        "first_name",
        "last_name",
        "preferred_name",
        "date_of_birth",
        "phone",
        "email",
        "status",
    )
    return Paginator(patients, settings.PATIENTS_PER_PAGE).get_page(page_number)


def intakes_to_review(page_number) -> Page:
    """Submitted intakes of registered patients not reviewed yet, newest first."""
    intakes = (
        Intake.objects.awaiting_review()
        .select_related("patient")
        .only(
            "code",
            "submitted_at",
            "status",
            "patient__code",
            "patient__first_name",
            "patient__last_name",
            "patient__date_of_birth",
        )
        .order_by("-submitted_at", "-pk")
    )
    return Paginator(intakes, settings.INTAKES_PER_PAGE).get_page(page_number)


def registrations_to_confirm(page_number) -> Page:
    """Self-registrations waiting for the front desk, newest first; each row says
    whether a chart may be the same person (`has_match`, the duplicate guard's rule),
    in one query for the page."""
    pending = (
        Intake.objects.pending_registrations()
        .only(
            "code",
            "submitted_at",
            "status",
            "patient",
            "first_name",
            "last_name",
            "date_of_birth",
            "phone",
            "email",
        )
        .order_by("-submitted_at", "-pk")
    )
    page = Paginator(pending, settings.INTAKES_PER_PAGE).get_page(page_number)
    born = _charts_born_on({i.date_of_birth for i in page if i.date_of_birth is not None})
    for registration in page:
        identity = Identity.of(registration)
        registration.has_match = any(
            duplicate_reasons(identity, Identity.of(chart))
            for chart in born.get(registration.date_of_birth, [])
        )
    return page


# What the duplicate guard compares (intake.duplicates.Identity).
_GUARD_FIELDS = ("first_name", "last_name", "date_of_birth", "phone", "email")


def _charts_born_on(dates) -> dict[datetime.date, list[Patient]]:
    """Charts by date of birth, for these dates (one query on the date-of-birth index)."""
    if not dates:
        return {}
    charts: dict[datetime.date, list[Patient]] = {}
    for chart in Patient.objects.filter(date_of_birth__in=dates).only(*_GUARD_FIELDS):
        charts.setdefault(chart.date_of_birth, []).append(chart)
    return charts


def possible_duplicates(identity: Identity, *, exclude: Patient | None = None) -> list[Patient]:
    """Charts that may be the person `identity` describes (intake.duplicates), archived
    ones included, oldest first, at most 10; each carries `duplicate_reasons`, the
    words saying why. One query, on the date-of-birth index: every match shares it."""
    if identity.date_of_birth is None:
        return []
    charts = Patient.objects.filter(date_of_birth=identity.date_of_birth)
    if exclude is not None:
        charts = charts.exclude(pk=exclude.pk)
    matches = []
    for chart in charts.order_by("created_at", "pk"):
        reasons = duplicate_reasons(identity, Identity.of(chart))
        if reasons:
            chart.duplicate_reasons = reasons
            matches.append(chart)
            if len(matches) == 10:
                break
    return matches


def queue_counts() -> dict[str, int]:
    """The dashboard's counts: intakes to review, self-registrations to confirm."""
    return {
        "intakes_to_review": Intake.objects.awaiting_review().count(),
        "registrations_to_confirm": Intake.objects.pending_registrations().count(),
    }


def registration_candidates(registration: Intake, *, search: str) -> tuple[list, list]:
    """Charts a self-registration may belong to: those the duplicate guard would name,
    and those the front desk's search finds (at most 10 of each)."""
    matches = possible_duplicates(Identity.of(registration))
    found = []
    if search:
        found = list(Patient.objects.search(search).exclude(pk__in=[m.pk for m in matches])[:10])
    return matches, found


def patient_by_code(code) -> Patient | None:
    return Patient.objects.filter(code=code).first()
