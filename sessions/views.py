from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.forms.utils import ErrorDict, ErrorList
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from audit.trail import record_read
from checkins.selectors import last_answered
from intake.access import get_patient_for
from intake.services import ChartArchived
from scheduling.models import Appointment
from sessions import points as point_codes
from sessions.access import get_session_for
from sessions.forms import (
    MAX_POINTS_TEXT,
    AddendumForm,
    ProtocolForm,
    SessionForm,
    adverse_event_formset,
    discard_form,
    regions_initial,
)
from sessions.models import Protocol, TreatmentSession
from sessions.safety import Level, check_session
from sessions.selectors import (
    SessionContext,
    active_protocols,
    adverse_event_rows,
    all_protocols,
    patient_visit,
    point_reference,
    session_context,
    with_note_parts,
)
from sessions.services import (
    AppointmentLinkRefused,
    SafetyRefused,
    SessionNotEditable,
    SigningRefused,
    addendum_add,
    protocol_save,
    refuse_appointment_link,
    refuse_new_session,
    refuse_uneditable,
    session_discard,
    session_save,
    session_sign,
    signing_check,
)

SIGNED_MESSAGE = "Note signed. It is now read-only; corrections are addenda."


def _prefill(previous: TreatmentSession | None, visit: Appointment | None = None) -> dict:
    """A follow-up visit starts as the last one: points, modalities, position, settings,
    regions treated. A session started from a visit is of that visit's day."""
    initial = {"date": timezone.localdate()}
    if visit is not None:
        initial.update(appointment=visit.code, date=timezone.localdate(visit.starts_at))
    if previous is not None:
        initial.update(
            points=previous.point_list(),
            modalities=previous.modalities,
            position=previous.position,
            ea_frequency_hz=previous.ea_frequency_hz,
            ea_intensity=previous.ea_intensity,
            retention_minutes=previous.retention_minutes,
        )
        initial.update(regions_initial(previous.regions_treated_marks()))
    return initial


def _quietly(form_or_formset):
    """Show what was typed without error messages: the page is only being rebuilt
    (a protocol applied, a row added), not submitted."""
    if hasattr(form_or_formset, "forms"):
        form_or_formset._errors = []
        form_or_formset._non_form_errors = ErrorList()
        for form in form_or_formset.forms:
            form._errors = ErrorDict()
    else:
        form_or_formset._errors = ErrorDict()
    return form_or_formset


def _with_protocol(data, protocol: Protocol):
    """The POSTed data with the protocol's points added to those typed, each once."""
    data = data.copy()
    typed = data.get("points", "")
    if len(typed) > MAX_POINTS_TEXT:
        return data  # too long to be a list of points: the form says so, nothing is read
    data["points"] = point_codes.add_points_to_text(typed, protocol.needled_points)
    return data


# --- The session form, step by step ---------------------------------------------------


def _session_form(
    request, *, patient, session: TreatmentSession | None, visit: Appointment | None = None
):
    """The session form, for a new session (started from `visit`, if any) or the
    user's draft: shown, rebuilt (a protocol applied, an adverse event row added), or
    saved (and signed)."""
    context = session_context(patient, session=session)
    protocols = active_protocols()
    if request.method == "POST":
        action = request.POST.get("action", "save")
        adding_row = action == "add_adverse_event"
        data = _apply_protocol(request, protocols)
        form, formset = _bind_forms(
            data, patient=patient, session=session, context=context, extra_row=adding_row
        )
        if request.POST.get("apply_protocol") or adding_row:
            _check_safety_quietly(form, formset)
        elif form.is_valid() & formset.is_valid():
            response = _save_or_sign(
                request, form, formset, patient=patient, session=session, action=action
            )
            if response is not None:
                return response
    else:
        form, formset = _bind_forms(
            None, patient=patient, session=session, context=context, visit=visit
        )
        _check_safety_of_initial(form, context)
    return _render_session_form(
        request,
        patient=patient,
        session=session,
        form=form,
        formset=formset,
        context=context,
        protocols=protocols,
    )


def _apply_protocol(request, protocols: list[Protocol]):
    """The POSTed data, with the points of the protocol asked for (if it is offered)
    added to those typed."""
    data = request.POST
    code = data.get("apply_protocol")
    protocol = next((p for p in protocols if code and str(p.code) == code), None)
    if protocol is None:
        return data
    messages.info(request, f"Added the points of “{protocol.name}”.")
    return _with_protocol(data, protocol)


def _bind_forms(
    data,
    *,
    patient,
    session: TreatmentSession | None,
    context: SessionContext,
    extra_row=False,
    visit: Appointment | None = None,
):
    """The session form and its adverse events: as sent (`data`), or to fill in
    (`data` None): a draft as saved, a new session pre-filled from the previous one
    (and of the visit it is started from)."""
    instance = session if session is not None else TreatmentSession(patient=patient)
    form_kwargs = {"context": context, "patient": patient, "instance": instance}
    rows = adverse_event_rows(session)
    if data is None:
        initial = _prefill(context.previous, visit) if session is None else {}
        return SessionForm(initial=initial, **form_kwargs), adverse_event_formset(initial=rows)
    form = SessionForm(data, **form_kwargs)
    return form, adverse_event_formset(data, initial=rows, extra_row=extra_row)


def _check_safety_of_initial(form: SessionForm, context: SessionContext) -> None:
    """The safety findings for the points and modalities the form starts with."""
    form.findings = check_session(
        context.screening, form.initial.get("points") or (), form.initial.get("modalities") or []
    )


def _check_safety_quietly(form: SessionForm, formset) -> None:
    """The safety findings for what is typed so far, without error messages: the page
    is only being rebuilt."""
    form.is_valid()
    _quietly(form)
    _quietly(formset)


def _save_or_sign(request, form: SessionForm, formset, *, patient, session, action: str):
    """Save the draft, and sign it on "Save and sign". The response, or None when the
    safety rules refused the session: the form shows why."""
    # "Save and sign" is one transaction: an error while signing leaves nothing
    # saved, as the error page says. A refused signature is not an error: the draft
    # is kept and the reasons are shown.
    with transaction.atomic():
        try:
            saved_session, saved = session_save(
                patient=patient,
                session=session,
                data=form.cleaned_data,
                points=form.cleaned_data["points"],
                adverse_events=formset.rows(),
                safety_acknowledged=form.cleaned_data["safety_acknowledged"],
                user=request.user,
                form_token=form.cleaned_data.get("form_token") if session is None else None,
                appointment_code=form.cleaned_data.get("appointment") if session is None else None,
            )
        except AppointmentLinkRefused as refused:
            _show_link_refusal(request, form, refused)
            return None
        except ChartArchived as refused:
            messages.error(request, str(refused))
            return redirect("clinic:patient_detail", code=patient.code)
        except SessionNotEditable as refused:
            messages.error(request, str(refused))
            return _to_detail(session)
        except SafetyRefused as refused:
            _show_safety_refusal(form, refused)
            return None
        if not saved and action == "sign" and saved_session.created_by_id == request.user.pk:
            # "Save and sign" sent again after the first sending saved the draft but
            # never signed it (a lost connection, a restarted worker): sign now.
            return _sign(request, saved_session)
        if not saved:
            messages.info(
                request,
                "This form had already been sent: here is the note it saved. "
                "Edit the draft to change it.",
            )
            return _to_detail(saved_session)
        if action == "sign":
            return _sign(request, saved_session)
        messages.success(request, "Draft saved. Sign it when the note is complete.")
        return _to_detail(saved_session)


def _show_link_refusal(request, form: SessionForm, refused: AppointmentLinkRefused) -> None:
    """The visit cannot take this session (cancelled meanwhile, say): nothing is saved,
    everything typed is kept, and saving again logs the session without the visit."""
    messages.error(
        request,
        f"Not saved: {refused} Save again to log the session without linking it to the visit.",
    )
    form.data = form.data.copy()
    form.data["appointment"] = ""


def _show_safety_refusal(form: SessionForm, refused: SafetyRefused) -> None:
    """The service's safety refusal as the form shows its own: the patient's intake
    changed after the form was checked."""
    form.findings = refused.findings
    for finding in refused.refused:
        form.add_error("modalities", finding.message)
    if refused.unacknowledged:
        form.add_error(
            "safety_acknowledged",
            "Tick to confirm you have read the safety warnings before saving.",
        )


def _render_session_form(request, *, patient, session, form, formset, context, protocols):
    # The form shows the screening and the previous note: a read of the record.
    record_read(request, session or patient, patient=patient)
    if session is not None:
        visit = session.appointment
    else:
        visit = patient_visit(patient, form["appointment"].value())
    return render(
        request,
        "sessions/session_form.html",
        {
            "patient": patient,
            "session": session,
            "visit": visit,
            "form": form,
            "formset": formset,
            "context": context,
            "previous": context.previous,
            # What the patient said between visits, beside today's pain scores.
            "last_check_in": last_answered(patient),
            "protocols": protocols,
            "findings": form.findings,
            "needs_acknowledgement": bool(form.to_acknowledge())
            or "safety_acknowledged" in form.errors,
        },
    )


def _to_detail(session: TreatmentSession):
    return redirect("treatment_sessions:session_detail", code=session.code)


def _sign(request, session: TreatmentSession):
    if session.is_signed and session.signed_by_id == request.user.pk:
        # The same "sign" sent twice: the first one did it.
        messages.success(request, SIGNED_MESSAGE)
        return _to_detail(session)
    try:
        session_sign(session=session, user=request.user)
    except SigningRefused as refused:
        messages.error(request, "The note was not signed; it stays a draft.")
        for problem in refused.problems:
            messages.error(request, problem)
    else:
        messages.success(request, SIGNED_MESSAGE)
        _warn_of_visit_left_unattended(request, session)
    return _to_detail(session)


def _warn_of_visit_left_unattended(request, session: TreatmentSession) -> None:
    """Signing marks the session's visit attended, unless the visit was marked
    cancelled or a no-show meanwhile: then the front desk should look at it."""
    if session.appointment_id is None:
        return
    visit = Appointment.objects.get(pk=session.appointment_id)
    if visit.status != Appointment.Status.ATTENDED:
        messages.warning(
            request,
            f"The visit this session was started from is marked "
            f"{visit.get_status_display().lower()}, so it was not marked attended. "
            "Ask the front desk to check it.",
        )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("treatment_sessions.add_treatmentsession", raise_exception=True)
def session_create_view(request, code):
    patient = get_patient_for(request.user, code)
    try:
        refuse_new_session(patient)
    except ChartArchived as refused:
        messages.error(request, str(refused))
        return redirect("clinic:patient_detail", code=patient.code)
    visit = None
    if request.method == "GET" and "appointment" in request.GET:
        # "Start session" on the day's list: the form is linked to that visit.
        visit = patient_visit(patient, request.GET["appointment"])
        try:
            refuse_appointment_link(visit, patient=patient, user=request.user)
        except AppointmentLinkRefused as refused:
            messages.error(request, str(refused))
            if refused.session is not None:
                return _to_detail(refused.session)
            return redirect("clinic:patient_detail", code=patient.code)
    return _session_form(request, patient=patient, session=None, visit=visit)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("treatment_sessions.change_treatmentsession", raise_exception=True)
def session_edit_view(request, code):
    session = get_session_for(request.user, code)
    try:
        refuse_uneditable(session, user=request.user)
    except SessionNotEditable as refused:
        messages.error(request, str(refused))
        return _to_detail(session)
    return _session_form(request, patient=session.patient, session=session)


def _detail_page(request, session: TreatmentSession, *, addendum_form=None):
    session = with_note_parts(session)
    is_author = session.created_by_id == request.user.pk
    problems = []
    findings = []
    if session.is_draft:
        check = signing_check(session, user=request.user)
        findings = check.findings
        if is_author:
            problems = check.problems
    record_read(request, session, patient=session.patient)
    return render(
        request,
        "sessions/session_detail.html",
        {
            "session": session,
            "patient": session.patient,
            "is_author": is_author,
            "signing_problems": problems,
            # Warnings already acknowledged are listed with the acknowledgements.
            "findings": [f for f in findings if f.level != Level.ACKNOWLEDGE],
            "addendum_form": addendum_form or AddendumForm(),
        },
    )


@require_safe
@login_required
def session_detail(request, code):
    return _detail_page(request, get_session_for(request.user, code))


@login_required
@require_POST
@permission_required("treatment_sessions.sign_treatmentsession", raise_exception=True)
def session_sign_view(request, code):
    session = get_session_for(request.user, code)
    return _sign(request, session)


@login_required
@require_POST
@permission_required("treatment_sessions.add_sessionaddendum", raise_exception=True)
def addendum_create_view(request, code):
    session = get_session_for(request.user, code)
    form = AddendumForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, session, addendum_form=form)
    try:
        addendum_add(session=session, text=form.cleaned_data["text"], user=request.user)
    except SessionNotEditable as refused:
        messages.error(request, str(refused))
        return _to_detail(session)
    messages.success(request, "Addendum added.")
    return redirect(
        reverse("treatment_sessions:session_detail", kwargs={"code": session.code}) + "#addenda"
    )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("treatment_sessions.change_treatmentsession", raise_exception=True)
def session_discard_view(request, code):
    session = get_session_for(request.user, code)
    form = discard_form(request.POST if request.method == "POST" else None)
    discarding = request.method == "POST" and form.is_valid()
    try:
        if discarding:
            session_discard(session=session, reason=form.cleaned_data["reason"], user=request.user)
        else:
            # The form is shown only to whoever may still discard the draft.
            refuse_uneditable(session, user=request.user)
    except SessionNotEditable as refused:
        messages.error(request, str(refused))
        return _to_detail(session)
    if discarding:
        messages.success(request, "Draft discarded. It stays on record, marked discarded.")
        return redirect("clinic:patient_detail", code=session.patient.code)
    return render(request, "sessions/session_discard.html", {"session": session, "form": form})


# --- Protocols ----------------------------------------------------------------------


@require_safe
@login_required
@permission_required("treatment_sessions.view_protocol", raise_exception=True)
def protocol_list(request):
    return render(request, "sessions/protocol_list.html", {"protocols": all_protocols()})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("treatment_sessions.add_protocol", raise_exception=True)
def protocol_create_view(request):
    return _protocol_form(request, protocol=None)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("treatment_sessions.change_protocol", raise_exception=True)
def protocol_edit_view(request, code):
    protocol = get_object_or_404(Protocol, code=code)
    return _protocol_form(request, protocol=protocol)


def _protocol_form(request, *, protocol: Protocol | None):
    form = ProtocolForm(
        request.POST if request.method == "POST" else None,
        instance=protocol or Protocol(),
    )
    if request.method == "POST" and form.is_valid():
        saved = protocol_save(
            protocol=protocol,
            data=form.cleaned_data,
            points=form.cleaned_data["points"],
            user=request.user,
        )
        messages.success(request, f"Protocol “{saved.name}” saved.")
        return redirect("treatment_sessions:protocol_list")
    return render(
        request,
        "sessions/protocol_form.html",
        {"form": form, "protocol": protocol},
    )


@require_safe
@login_required
@permission_required("treatment_sessions.view_protocol", raise_exception=True)
def point_list(request):
    """The WHO points by code and name: the reference the session and protocol forms
    link to (the completion fetches the same list as a static file)."""
    return render(request, "sessions/point_list.html", {"points": point_reference()})
