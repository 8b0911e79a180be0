from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.forms.utils import ErrorDict, ErrorList
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from audit.trail import record_read
from intake.access import get_patient_for
from sessions import points as point_codes
from sessions.access import get_session_for
from sessions.forms import (
    MAX_POINTS_TEXT,
    AddendumForm,
    DiscardForm,
    ProtocolForm,
    SessionForm,
    adverse_event_formset,
)
from sessions.models import Point, Protocol, TreatmentSession
from sessions.safety import Level, check_session
from sessions.selectors import screening_from, screening_intake, session_context
from sessions.services import (
    SessionNotEditable,
    SigningRefused,
    addendum_add,
    edit_refusal,
    protocol_save,
    session_discard,
    session_save,
    session_sign,
    signing_problems,
)


def _point_reference() -> list[list[str]]:
    """[code, pinyin, meridian name] for every WHO point: the completion's data."""
    return [
        [code, pinyin, point_codes.MERIDIAN_NAMES[meridian]]
        for code, pinyin, meridian in Point.objects.values_list("code", "pinyin", "meridian")
    ]


def _prefill(previous: TreatmentSession | None) -> dict:
    """A follow-up visit starts as the last one: points, modalities, position, settings."""
    initial = {"date": timezone.localdate()}
    if previous is not None:
        initial.update(
            points=previous.point_list(),
            modalities=previous.modalities,
            position=previous.position,
            ea_frequency_hz=previous.ea_frequency_hz,
            ea_intensity=previous.ea_intensity,
            retention_minutes=previous.retention_minutes,
        )
    return initial


def _adverse_event_initial(session: TreatmentSession | None) -> list[dict]:
    if session is None:
        return []
    fields = ("kind", "severity", "causality", "action_taken", "notes")
    return [
        {name: getattr(event, name) for name in fields} for event in session.adverse_events.all()
    ]


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
    """The POSTed data with the protocol's points added to those typed."""
    data = data.copy()
    text = data.get("points", "")
    typed = point_codes.parse_points(text if len(text) <= MAX_POINTS_TEXT else "?")
    if typed.ok:
        data["points"] = point_codes.format_points(
            point_codes.merge_points(typed.points, protocol.needled_points)
        )
    else:
        # Keep what was typed, mistakes and all, for the practitioner to fix.
        data["points"] = f"{data.get('points', '').rstrip(', ')}, {protocol.points}"
    return data


def _session_form(request, *, patient, session: TreatmentSession | None):
    context = session_context(patient, session=session)
    protocols = list(Protocol.objects.filter(is_active=True).only("code", "name", "points"))
    instance = session if session is not None else TreatmentSession(patient=patient)
    form_kwargs = {"context": context, "patient": patient, "instance": instance}
    adverse_initial = _adverse_event_initial(session)

    if request.method == "POST":
        action = request.POST.get("action", "save")
        data = request.POST
        protocol_code = request.POST.get("apply_protocol")
        if protocol_code:
            protocol = next((p for p in protocols if str(p.code) == protocol_code), None)
            if protocol is not None:
                data = _with_protocol(data, protocol)
                messages.info(request, f"Added the points of “{protocol.name}”.")
        form = SessionForm(data, **form_kwargs)
        formset = adverse_event_formset(
            data, initial=adverse_initial, extra_row=action == "add_adverse_event"
        )
        if protocol_code or action == "add_adverse_event":
            form.is_valid()  # the safety findings for what is typed so far
            _quietly(form)
            _quietly(formset)
        elif form.is_valid() & formset.is_valid():
            # "Save and sign" is one transaction: an error while signing leaves
            # nothing saved, as the error page says. A refused signature is not an
            # error: the draft is kept and the reasons are shown.
            with transaction.atomic():
                try:
                    session, saved = session_save(
                        patient=patient,
                        session=session,
                        data=form.cleaned_data,
                        points=form.cleaned_data["points"],
                        adverse_events=formset.rows(),
                        acknowledged=form.to_acknowledge(),
                        user=request.user,
                        form_token=form.cleaned_data.get("form_token") if session is None else None,
                    )
                except SessionNotEditable as refused:
                    messages.error(request, str(refused))
                    return redirect("treatment_sessions:session_detail", code=session.code)
                if not saved and action == "sign" and session.created_by_id == request.user.pk:
                    # "Save and sign" sent again after the first sending saved the draft
                    # but never signed it (a lost connection, a restarted worker): sign now.
                    return _sign(request, session)
                if not saved:
                    messages.info(
                        request,
                        "This form had already been sent: here is the note it saved. "
                        "Edit the draft to change it.",
                    )
                    return redirect("treatment_sessions:session_detail", code=session.code)
                if action == "sign":
                    return _sign(request, session)
                messages.success(request, "Draft saved. Sign it when the note is complete.")
                return redirect("treatment_sessions:session_detail", code=session.code)
    else:
        initial = _prefill(context.previous) if session is None else {}
        form = SessionForm(initial=initial, **form_kwargs)
        formset = adverse_event_formset(initial=adverse_initial)
        initial_points = initial.get("points") or (session.point_list() if session else ())
        initial_modalities = initial.get("modalities") or (session.modalities if session else [])
        form.findings = check_session(context.screening, initial_points, initial_modalities)

    # The form shows the screening and the previous note: a read of the record.
    record_read(request, session or patient, patient=patient)
    return render(
        request,
        "sessions/session_form.html",
        {
            "patient": patient,
            "session": session,
            "form": form,
            "formset": formset,
            "context": context,
            "previous": context.previous,
            "protocols": protocols,
            "findings": form.findings,
            "needs_acknowledgement": bool(form.to_acknowledge())
            or "safety_acknowledged" in form.errors,
            "point_reference": _point_reference(),
        },
    )


def _sign(request, session: TreatmentSession):
    if session.is_signed and session.signed_by_id == request.user.pk:
        # The same "sign" sent twice: the first one did it.
        messages.success(request, "Note signed. It is now read-only; corrections are addenda.")
        return redirect("treatment_sessions:session_detail", code=session.code)
    screening = screening_from(screening_intake(session.patient))
    try:
        session_sign(session=session, user=request.user, screening=screening)
    except SigningRefused as refused:
        messages.error(request, "The note was not signed; it stays a draft.")
        for problem in refused.problems:
            messages.error(request, problem)
    else:
        messages.success(request, "Note signed. It is now read-only; corrections are addenda.")
    return redirect("treatment_sessions:session_detail", code=session.code)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@permission_required("treatment_sessions.add_treatmentsession", raise_exception=True)
def session_create_view(request, code):
    patient = get_patient_for(request.user, code)
    if patient.is_archived:
        messages.error(request, "This chart is archived. Restore it before logging a session.")
        return redirect("clinic:patient_detail", code=patient.code)
    return _session_form(request, patient=patient, session=None)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@permission_required("treatment_sessions.change_treatmentsession", raise_exception=True)
def session_edit_view(request, code):
    session = get_session_for(request.user, code)
    refusal = edit_refusal(session, request.user)
    if refusal:
        messages.error(request, refusal)
        return redirect("treatment_sessions:session_detail", code=session.code)
    return _session_form(request, patient=session.patient, session=session)


def _detail_page(request, session: TreatmentSession, *, addendum_form=None):
    prefetch_related_objects(
        [session],
        "needled_points__point",
        "adverse_events",
        "safety_acknowledgements__acknowledged_by",
        "addenda__created_by",
    )
    is_author = session.created_by_id == request.user.pk
    problems = []
    findings = []
    if session.is_draft:
        screening = screening_from(screening_intake(session.patient))
        findings = check_session(screening, session.point_list(), session.modalities)
        if is_author:
            problems = signing_problems(session, user=request.user, screening=screening)
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


@never_cache
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


@never_cache
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
        return redirect("treatment_sessions:session_detail", code=session.code)
    messages.success(request, "Addendum added.")
    return redirect(
        reverse("treatment_sessions:session_detail", kwargs={"code": session.code}) + "#addenda"
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@permission_required("treatment_sessions.change_treatmentsession", raise_exception=True)
def session_discard_view(request, code):
    session = get_session_for(request.user, code)
    form = DiscardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            session_discard(session=session, reason=form.cleaned_data["reason"], user=request.user)
        except SessionNotEditable as refused:
            messages.error(request, str(refused))
            return redirect("treatment_sessions:session_detail", code=session.code)
        messages.success(request, "Draft discarded. It stays on record, marked discarded.")
        return redirect("clinic:patient_detail", code=session.patient.code)
    refusal = edit_refusal(session, request.user)
    if refusal:
        messages.error(request, refusal)
        return redirect("treatment_sessions:session_detail", code=session.code)
    return render(request, "sessions/session_discard.html", {"session": session, "form": form})


# --- Protocols ----------------------------------------------------------------------


@require_safe
@login_required
@permission_required("treatment_sessions.view_protocol", raise_exception=True)
def protocol_list(request):
    protocols = Protocol.objects.all()
    return render(request, "sessions/protocol_list.html", {"protocols": protocols})


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
        {"form": form, "protocol": protocol, "point_reference": _point_reference()},
    )
