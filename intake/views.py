import logging
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from audit.trail import record_listed, record_read
from core.concurrency import EditConflict, rebind_after_conflict
from intake.access import get_intake_for, get_patient_for
from intake.forms import (
    PatientEditForm,
    PatientForm,
    PatientSearchForm,
    archive_form,
    discard_form,
)
from intake.models import CONTACT_FIELDS, IDENTITY_FIELDS
from intake.phone import format_phone
from intake.selectors import (
    intakes_to_review,
    patient_by_code,
    patient_page,
    registration_candidates,
    registrations_to_confirm,
)
from intake.services import (
    IntakeNotReviewable,
    PossibleDuplicate,
    ReminderChannelError,
    intake_mark_reviewed,
    invitation_revoke,
    patient_archive,
    patient_create,
    patient_restore,
    patient_update,
    registration_attach,
    registration_create_patient,
    registration_discard,
)

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
    page = patient_page(query=query, status=status, page_number=request.GET.get("page"))
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
            return redirect("clinic:patient_detail", code=patient.code)
    return render(
        request,
        "intake/patient_form.html",
        {"form": form, "duplicates": duplicates, "patient": None},
    )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("intake.change_patient", raise_exception=True)
def patient_update_view(request, code):
    patient = get_patient_for(request.user, code)
    form = PatientEditForm(request.POST if request.method == "POST" else None, instance=patient)
    duplicates, conflict = [], None
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in PatientEditForm.Meta.fields}
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
        except ReminderChannelError as refused:
            form.add_error(refused.field, str(refused))
        except EditConflict as overtaken:
            conflict = overtaken
            form = rebind_after_conflict(form, conflict, request.POST)
            # Checking the form wrote the typing onto the chart object: the page shows
            # the chart as stored.
            patient.refresh_from_db()
        else:
            messages.success(request, "Demographics saved.")
            return redirect("clinic:patient_detail", code=patient.code)
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
    form = archive_form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        patient_archive(
            patient=patient, reason=form.cleaned_data["reason"], archived_by=request.user
        )
        messages.success(request, f"{patient.full_name}'s chart is archived.")
        return redirect("clinic:patient_detail", code=patient.code)
    return render(request, "intake/patient_archive.html", {"patient": patient, "form": form})


@login_required
@permission_required("intake.archive_patient", raise_exception=True)
@require_POST
def patient_restore_view(request, code):
    patient = get_patient_for(request.user, code)
    patient_restore(patient=patient, restored_by=request.user)
    messages.success(request, f"{patient.full_name}'s chart is active again.")
    return redirect("clinic:patient_detail", code=patient.code)


# --- Intake links, the review queue, self-registrations -----------------------------


@login_required
@permission_required("intake.change_intakeinvitation", raise_exception=True)
@require_POST
def invitation_revoke_view(request, code):
    patient = get_patient_for(request.user, code)
    if invitation_revoke(patient=patient, revoked_by=request.user):
        messages.success(request, "The intake link no longer works.")
    return redirect(reverse("clinic:patient_detail", kwargs={"code": patient.code}) + "#intake")


@require_safe
@login_required
@permission_required("intake.view_intake", raise_exception=True)
def intake_queue(request):
    """Submitted intakes awaiting review, and self-registrations to confirm; newest first."""
    to_review = intakes_to_review(request.GET.get("page"))
    registrations = registrations_to_confirm(request.GET.get("rpage"))
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
        reverse("clinic:patient_detail", kwargs={"code": intake.patient.code}) + "#intake"
    )


def _pending_or_redirect(request, code):
    intake = get_intake_for(request.user, code)
    if intake.is_pending_registration:
        return intake, None
    messages.info(request, "This self-registration has already been dealt with.")
    if intake.patient is not None:
        return None, redirect("clinic:patient_detail", code=intake.patient.code)
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
    form = _registration_form(intake, request.POST if action == "create" else None)
    duplicates = []
    if action == "create" and form.is_valid():
        done, duplicates = _register_as_new_patient(request, intake, form)
    elif action == "attach":
        done = _attach_to_chart(request, intake)
    return done or _registration_page(request, intake, form, duplicates)


def _registration_form(intake, data) -> PatientForm:
    """The patient's details as they typed them, for the front desk to check."""
    initial = {field: getattr(intake, field) for field in IDENTITY_FIELDS + CONTACT_FIELDS}
    for field in ("phone", "emergency_contact_phone"):
        initial[field] = format_phone(initial[field])
    return PatientForm(data, initial=initial)


def _register_as_new_patient(request, intake, form):
    """(redirect to the new chart, []) or (None, the charts that may be the same person)."""
    try:
        patient = registration_create_patient(
            intake=intake,
            data=form.cleaned_data,
            registered_by=request.user,
            duplicate_confirmed=_duplicate_confirmed(form),
        )
    except PossibleDuplicate as refused:
        return None, refused.matches
    messages.success(request, f"{patient.full_name} is registered, with their intake.")
    return redirect("clinic:patient_detail", code=patient.code), []


def _attach_to_chart(request, intake):
    """The redirect to the chart the intake now belongs to, or None (with a message)."""
    patient = patient_by_code(_uuid_or_none(request.POST.get("patient")))
    if patient is None:
        messages.error(request, "Choose the chart to add this intake to.")
        return None
    registration_attach(intake=intake, patient=patient, registered_by=request.user)
    messages.success(request, f"The intake is now on {patient.full_name}'s chart.")
    return redirect(reverse("clinic:patient_detail", kwargs={"code": patient.code}) + "#intake")


def _registration_page(request, intake, form, duplicates):
    search = PatientSearchForm(request.GET or None)
    matches, found = registration_candidates(
        intake, search=search.cleaned_data["q"] if search.is_valid() else ""
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
            "discard_form": discard_form(),
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
    form = discard_form(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    registration_discard(intake=intake, reason=reason, discarded_by=request.user)
    messages.success(request, "The self-registration is set aside.")
    return redirect("intake:intake_queue")
