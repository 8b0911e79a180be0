from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from intake.access import get_patient_for
from intake.forms import ArchiveForm, PatientForm, PatientSearchForm
from intake.models import Patient
from intake.services import patient_archive, patient_create, patient_restore, patient_update


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
    return render(
        request,
        "intake/patient_list.html",
        {"page": page, "search": search, "query": query, "status": status},
    )


def _duplicate_matches(form, *, exclude=None):
    """Charts matching the form's name and date of birth, unless staff confirmed."""
    if form.data.get("confirm_duplicate") == form.duplicate_key():
        return []
    matches = Patient.objects.possible_duplicates(
        first_name=form.cleaned_data["first_name"],
        last_name=form.cleaned_data["last_name"],
        date_of_birth=form.cleaned_data["date_of_birth"],
    )
    if exclude is not None:
        matches = matches.exclude(pk=exclude.pk)
    return list(matches[:10])


@login_required
@permission_required("intake.add_patient", raise_exception=True)
def patient_create_view(request):
    form = PatientForm(request.POST if request.method == "POST" else None)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        duplicates = _duplicate_matches(form)
        if not duplicates:
            patient = patient_create(data=form.cleaned_data, created_by=request.user)
            messages.success(request, f"{patient.full_name} is registered.")
            return redirect("intake:patient_detail", code=patient.code)
    return render(
        request,
        "intake/patient_form.html",
        {"form": form, "duplicates": duplicates, "patient": None},
    )


@login_required
def patient_detail(request, code):
    patient = get_patient_for(request.user, code)
    return render(request, "intake/patient_detail.html", {"patient": patient})


@login_required
@permission_required("intake.change_patient", raise_exception=True)
def patient_update_view(request, code):
    patient = get_patient_for(request.user, code)
    form = PatientForm(request.POST if request.method == "POST" else None, instance=patient)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        duplicates = _duplicate_matches(form, exclude=patient)
        if not duplicates:
            patient_update(patient=patient, data=form.cleaned_data, updated_by=request.user)
            messages.success(request, "Demographics saved.")
            return redirect("intake:patient_detail", code=patient.code)
    return render(
        request,
        "intake/patient_form.html",
        {"form": form, "duplicates": duplicates, "patient": patient},
    )


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
