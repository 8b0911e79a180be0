import logging
import smtplib
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from acuclinic.concurrency import EditConflict, rebind_at
from audit.trail import record_listed, record_read
from intake.access import get_intake_for, get_patient_for
from intake.forms import (
    ArchiveForm,
    DiscardForm,
    PatientEditForm,
    PatientForm,
    PatientSearchForm,
)
from intake.models import CONTACT_FIELDS, IDENTITY_FIELDS, Intake, Patient, match_key
from intake.phone import format_phone
from intake.services import (
    IntakeNotReviewable,
    PossibleDuplicate,
    intake_mark_reviewed,
    invitation_create,
    invitation_revoke,
    invitation_send_email,
    patient_archive,
    patient_create,
    patient_restore,
    patient_update,
    registration_attach,
    registration_create_patient,
    registration_discard,
)
from intake.steps import answer_sections
from plans.selectors import chart_plan
from sessions.selectors import chart_sessions

logger = logging.getLogger(__name__)


@require_safe
@login_required
@permission_required("intake.view_patient", raise_exception=True)
def patient_list(request):
    search = PatientSearchForm(request.GET or None)
    query, status = "", "active"
    if search.is_valid():
        query = search.cleaned_data["q"]
        status = search.cleaned_data["status"] or "active"
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
    page = Paginator(patients, settings.PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    record_listed(request, page.object_list)
    return render(
        request,
        "intake/patient_list.html",
        {"page": page, "search": search, "query": query, "status": status},
    )


def _duplicate_confirmed(form) -> bool:
    """Staff said "It's a different person" for exactly these details."""
    return form.data.get("confirm_duplicate") == form.duplicate_key()


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("intake.add_patient", raise_exception=True)
def patient_create_view(request):
    form = PatientForm(request.POST if request.method == "POST" else None)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        try:
            patient = patient_create(
                data=form.cleaned_data,
                created_by=request.user,
                duplicate_confirmed=_duplicate_confirmed(form),
            )
        except PossibleDuplicate as refused:
            duplicates = refused.matches
        else:
            messages.success(request, f"{patient.full_name} is registered.")
            return redirect("intake:patient_detail", code=patient.code)
    return render(
        request,
        "intake/patient_form.html",
        {"form": form, "duplicates": duplicates, "patient": None},
    )


def _intake_overview(patient: Patient, *, clinical: bool) -> dict:
    """What the chart shows of the patient's intake. Constant queries: 2, or 5 with answers."""
    latest = patient.intakes.exclude(status=Intake.Status.DISCARDED).order_by("-created_at").first()
    open_link = patient.intake_invitations.filter(revoked_at__isnull=True).first()
    link_waiting = (
        open_link is not None
        and open_link.is_usable
        and open_link.intake_id is None
        # A link made after the latest intake's last step (its start or submission)
        # is what the clinic waits for now.
        and (latest is None or open_link.created_at > (latest.submitted_at or latest.created_at))
    )
    if link_waiting:
        status = "sent"
    elif latest is None:
        status = "not_sent"
    else:
        status = {
            Intake.Status.DRAFT: "in_progress",
            Intake.Status.SUBMITTED: "submitted",
            Intake.Status.REVIEWED: "reviewed",
        }[latest.status]
    overview = {
        "status": status,
        "latest": latest,
        "open_link": open_link if open_link is not None and open_link.is_usable else None,
        "expired_link": open_link if open_link is not None and open_link.is_expired else None,
        "answers": None,
    }
    if clinical:
        # The answers clinicians read: the last submitted intake, even while a newer
        # one is being filled in.
        answers = (
            patient.intakes.submitted()
            .select_related("reviewed_by")
            .prefetch_related("regions", "medications")
            .order_by("-submitted_at")
            .first()
        )
        overview["answers"] = answers
        overview["sections"] = answer_sections(answers) if answers else []
    return overview


def _chart(request, patient: Patient, **extra):
    clinical = request.user.has_perm("intake.view_clinical_record")
    intake = _intake_overview(patient, clinical=clinical)
    context = {"patient": patient, "intake": intake, **extra}
    if request.user.has_perm("treatment_sessions.view_treatmentsession"):
        context.update(chart_sessions(patient, intake["answers"], request.GET.get("sessions_page")))
    if request.user.has_perm("plans.view_plan"):
        context.update(chart_plan(patient))
    record_read(request, patient, patient=patient)
    return render(request, "intake/patient_detail.html", context)


@require_safe
@login_required
def patient_detail(request, code):
    patient = get_patient_for(request.user, code)
    return _chart(request, patient)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("intake.change_patient", raise_exception=True)
def patient_update_view(request, code):
    patient = get_patient_for(request.user, code)
    form = PatientEditForm(request.POST if request.method == "POST" else None, instance=patient)
    duplicates, conflict = [], None
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in PatientForm.Meta.fields}
        try:
            patient_update(
                patient=patient,
                data=data,
                updated_by=request.user,
                version=form.cleaned_data["version"],
                duplicate_confirmed=_duplicate_confirmed(form),
            )
        except PossibleDuplicate as refused:
            duplicates = refused.matches
        except EditConflict as overtaken:
            conflict = overtaken
            patient.refresh_from_db()
            form = rebind_at(
                PatientEditForm,
                request.POST,
                conflict,
                submitted=form.cleaned_data,
                instance=patient,
            )
        else:
            messages.success(request, "Demographics saved.")
            return redirect("intake:patient_detail", code=patient.code)
    record_read(request, patient, patient=patient)
    return render(
        request,
        "intake/patient_form.html",
        {"form": form, "duplicates": duplicates, "patient": patient, "conflict": conflict},
        status=409 if conflict else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("intake.archive_patient", raise_exception=True)
def patient_archive_view(request, code):
    patient = get_patient_for(request.user, code)
    form = ArchiveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        patient_archive(
            patient=patient, reason=form.cleaned_data["reason"], archived_by=request.user
        )
        messages.success(request, f"{patient.full_name}'s chart is archived.")
        return redirect("intake:patient_detail", code=patient.code)
    return render(request, "intake/patient_archive.html", {"patient": patient, "form": form})


@login_required
@permission_required("intake.archive_patient", raise_exception=True)
@require_POST
def patient_restore_view(request, code):
    patient = get_patient_for(request.user, code)
    patient_restore(patient=patient, restored_by=request.user)
    messages.success(request, f"{patient.full_name}'s chart is active again.")
    return redirect("intake:patient_detail", code=patient.code)


# --- Intake links, the review queue, self-registrations -----------------------------


@never_cache
@login_required
@permission_required("intake.add_intakeinvitation", raise_exception=True)
@require_POST
def invitation_create_view(request, code):
    """Make a new intake link and show it on the chart, once (only its hash is kept)."""
    patient = get_patient_for(request.user, code)
    if patient.is_archived:
        messages.error(request, "This chart is archived: restore it before sending an intake link.")
        return redirect("intake:patient_detail", code=patient.code)
    invitation, token = invitation_create(patient=patient, created_by=request.user)
    link = request.build_absolute_uri(reverse("intake:intake_entry", kwargs={"token": token}))
    emailed = False
    if request.POST.get("send_email") and patient.email:
        try:
            invitation_send_email(invitation=invitation, link=link)
            emailed = True
        except (OSError, smtplib.SMTPException) as exc:
            # The error's text can carry the patient's address: log only its kind.
            logger.warning("Sending an intake link email failed: %s", type(exc).__name__)
            messages.error(
                request,
                "The link was made, but the email could not be sent. Copy the link below "
                "and send it another way, or try again later.",
            )
    return _chart(request, patient, new_link=link, new_link_emailed=emailed)


@login_required
@permission_required("intake.change_intakeinvitation", raise_exception=True)
@require_POST
def invitation_revoke_view(request, code):
    patient = get_patient_for(request.user, code)
    if invitation_revoke(patient=patient, revoked_by=request.user):
        messages.success(request, "The intake link no longer works.")
    return redirect(reverse("intake:patient_detail", kwargs={"code": patient.code}) + "#intake")


@require_safe
@login_required
@permission_required("intake.view_intake", raise_exception=True)
def intake_queue(request):
    """Submitted intakes awaiting review, and self-registrations to confirm; newest first."""
    per_page = settings.INTAKES_PER_PAGE
    to_review = Paginator(
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
        .order_by("-submitted_at", "-pk"),
        per_page,
    ).get_page(request.GET.get("page"))
    registrations = Paginator(
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
        )
        .order_by("-submitted_at", "-pk"),
        per_page,
    ).get_page(request.GET.get("rpage"))
    # One query for every row's possible match, not one per row.
    keys = [(i.first_name, i.last_name, i.date_of_birth) for i in registrations]
    matched = Patient.objects.matching_any(keys) if keys else set()
    for pending in registrations:
        pending.has_match = (
            match_key(pending.first_name, pending.last_name, pending.date_of_birth) in matched
        )
    return render(
        request,
        "intake/intake_queue.html",
        {"to_review": to_review, "registrations": registrations},
    )


@login_required
@permission_required("intake.review_intake", raise_exception=True)
@require_POST
def intake_review_view(request, code):
    intake = get_intake_for(request.user, code)
    try:
        intake_mark_reviewed(intake=intake, reviewed_by=request.user)
    except IntakeNotReviewable:
        messages.error(request, "Only a submitted intake of a registered patient can be reviewed.")
        return redirect("intake:intake_queue")
    messages.success(request, "Intake marked reviewed.")
    return redirect(
        reverse("intake:patient_detail", kwargs={"code": intake.patient.code}) + "#intake"
    )


def _pending_or_redirect(request, code):
    intake = get_intake_for(request.user, code)
    if intake.is_pending_registration:
        return intake, None
    messages.info(request, "This self-registration has already been dealt with.")
    if intake.patient is not None:
        return None, redirect("intake:patient_detail", code=intake.patient.code)
    return None, redirect("intake:intake_queue")


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("intake.add_patient", raise_exception=True)
def registration_view(request, code):
    """Confirm a self-registration: as a new patient, or as an existing chart's intake."""
    intake, done = _pending_or_redirect(request, code)
    if done:
        return done
    action = request.POST.get("action")
    initial = {field: getattr(intake, field) for field in IDENTITY_FIELDS + CONTACT_FIELDS}
    for field in ("phone", "emergency_contact_phone"):
        initial[field] = format_phone(initial[field])
    form = PatientForm(request.POST if action == "create" else None, initial=initial)
    duplicates = []
    if action == "create" and form.is_valid():
        try:
            patient = registration_create_patient(
                intake=intake,
                data=form.cleaned_data,
                registered_by=request.user,
                duplicate_confirmed=_duplicate_confirmed(form),
            )
        except PossibleDuplicate as refused:
            duplicates = refused.matches
        else:
            messages.success(request, f"{patient.full_name} is registered, with their intake.")
            return redirect("intake:patient_detail", code=patient.code)
    if action == "attach":
        patient = Patient.objects.filter(code=_uuid_or_none(request.POST.get("patient"))).first()
        if patient is None:
            messages.error(request, "Choose the chart to add this intake to.")
        else:
            registration_attach(intake=intake, patient=patient, registered_by=request.user)
            messages.success(request, f"The intake is now on {patient.full_name}'s chart.")
            return redirect(
                reverse("intake:patient_detail", kwargs={"code": patient.code}) + "#intake"
            )

    matches = []
    if intake.date_of_birth:
        matches = list(
            Patient.objects.possible_duplicates(
                first_name=intake.first_name,
                last_name=intake.last_name,
                date_of_birth=intake.date_of_birth,
            )[:10]
        )
    search = PatientSearchForm(request.GET or None)
    found = []
    if search.is_valid() and search.cleaned_data["q"]:
        found = list(
            Patient.objects.search(search.cleaned_data["q"]).exclude(
                pk__in=[m.pk for m in matches]
            )[:10]
        )
    record_read(request, intake, patient=None)
    return render(
        request,
        "intake/registration.html",
        {
            "pending": intake,
            "form": form,
            "duplicates": duplicates,
            "matches": matches,
            "search": search,
            "found": found,
            "discard_form": DiscardForm(),
        },
    )


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@login_required
@permission_required("intake.add_patient", raise_exception=True)
@require_POST
def registration_discard_view(request, code):
    intake, done = _pending_or_redirect(request, code)
    if done:
        return done
    form = DiscardForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    registration_discard(intake=intake, reason=reason, discarded_by=request.user)
    messages.success(request, "The self-registration is set aside.")
    return redirect("intake:intake_queue")
