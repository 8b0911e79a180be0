"""The patient's side of the intake: pages reached by a link, without a login.

The token in the URL is the only key. Each request looks the link up by the hash
of its token; a link reaches exactly one intake. Pages are never cached, and the
token is redacted from logs (core.logs).
"""

import functools

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from core.net import UNKNOWN, client_ip
from intake.models import Intake, IntakeInvitation
from intake.services import (
    IntakeClosed,
    IntakeIncomplete,
    intake_missing_steps,
    intake_open,
    intake_save_step,
    intake_start,
    intake_submit,
    invitation_for_token,
)
from intake.steps import (
    STEPS,
    AboutYouForm,
    ConsentForm,
    PainForm,
    answer_sections,
    medication_formset,
)

LAST_STEP = Intake.STEP_COUNT


def rate_limited(view):
    """Refuse a client address that asks too often, with a page that says to wait."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if is_ratelimited(
            request, group="intake", key="ip", rate=settings.INTAKE_RATE_LIMIT, increment=True
        ):
            return render(request, "intake/public/rate_limited.html", status=429)
        return view(request, *args, **kwargs)

    return wrapper


def _link_unavailable(request, *, status: int):
    # The same words for an unknown, expired or revoked link: nothing says whether
    # a patient, or a link, ever existed.
    return render(
        request,
        "intake/public/link_unavailable.html",
        {"valid_days": IntakeInvitation.VALID_FOR.days},
        status=status,
    )


def _intake_for_link(request, token):
    """(invitation, intake) for a usable link, or (None, error response)."""
    invitation = invitation_for_token(token)
    if invitation is None:
        return None, _link_unavailable(request, status=404)
    if not invitation.is_usable:
        return None, _link_unavailable(request, status=410)
    if invitation.intake is not None:
        return invitation, invitation.intake
    return invitation, intake_open(invitation=invitation)


def _first_open_step(intake: Intake) -> int:
    missing = intake_missing_steps(intake)
    return missing[0] if missing else LAST_STEP


def _reachable(intake: Intake, step: int) -> bool:
    """Steps open in order: those done, and the one after the furthest done."""
    furthest = max(intake.completed_steps, default=0)
    return 1 <= step <= LAST_STEP and (step <= furthest + 1 or step in intake.completed_steps)


def _step_url(token: str, step: int) -> str:
    return reverse("intake:intake_step", kwargs={"token": token, "step": step})


@rate_limited
@require_http_methods(["GET", "HEAD"])
def intake_entry(request, token):
    """The link itself: resume the draft where it stands, or say thank you."""
    invitation, intake = _intake_for_link(request, token)
    if invitation is None:
        return intake
    if not intake.is_draft:
        return render(request, "intake/public/thank_you.html", {"intake": intake, "token": token})
    return redirect(_step_url(token, _first_open_step(intake)))


@rate_limited
@require_http_methods(["GET", "HEAD", "POST"])
def intake_step(request, token, step):
    invitation, intake = _intake_for_link(request, token)
    if invitation is None:
        return intake
    if not intake.is_draft:
        # Submitted: the link shows the thank-you page; nothing can change through it.
        return redirect("intake:intake_entry", token=token)
    if not _reachable(intake, step):
        return redirect(_step_url(token, _first_open_step(intake)))
    if step == LAST_STEP:
        return _consent_step(request, token, intake)

    data = request.POST if request.method == "POST" else None
    action = request.POST.get("action", "next")
    form = formset = None
    if step == 1:
        form = AboutYouForm(
            data,
            initial=AboutYouForm.initial_from(intake),
            identity_editable=intake.patient_id is None,
        )
    else:
        form_class = STEPS[step].form_class
        form = form_class(data, initial=form_class.initial_from(intake))
    if step == 4:
        # The medicines' list, and the doses of pain medicine of the last 7 days.
        formset = medication_formset(data, intake=intake)

    if data is not None:
        valid = all([part.is_valid() for part in (form, formset) if part is not None])
        if valid:
            try:
                intake_save_step(
                    intake=intake,
                    step=step,
                    answers=form.answers() if form is not None else {},
                    regions=form.regions() if isinstance(form, PainForm) else None,
                    medications=formset.rows() if formset is not None else None,
                )
            except IntakeClosed:
                return redirect("intake:intake_entry", token=token)
            if action == "add_row":
                # Saved; the step shows the list again with an empty row to fill.
                return redirect(_step_url(token, step) + "#add-medicine")
            target = step - 1 if action == "back" else step + 1
            return redirect(_step_url(token, max(1, target)))
        if action == "back" and not any(
            part.has_changed() for part in (form, formset) if part is not None
        ):
            # "Back" from a step left as it was (say, not answered yet) loses nothing by
            # going back unsaved; with anything typed, the errors show so nothing is lost.
            return redirect(_step_url(token, max(1, step - 1)))

    return _render_step(request, token, intake, step, form=form, formset=formset)


def _render_step(request, token, intake, step, *, form=None, formset=None, **extra):
    return render(
        request,
        f"intake/public/step_{step}.html",
        {
            "token": token,
            "intake": intake,
            "step": STEPS[step],
            "steps": STEPS.values(),
            "step_count": LAST_STEP,
            "form": form,
            "formset": formset,
            "is_self_registration": intake.patient_id is None,
            **extra,
        },
    )


def _consent_step(request, token, intake):
    form = ConsentForm(request.POST if request.method == "POST" else None)
    missing = intake_missing_steps(intake)
    if request.method == "POST" and form.is_valid():
        try:
            intake_submit(
                intake=intake,
                consent_to_treatment=form.cleaned_data["consent_to_treatment"],
                privacy_acknowledged=form.cleaned_data["privacy_acknowledged"],
                signature_name=form.cleaned_data["signature_name"],
                ip=_known(client_ip(request)),
            )
        except IntakeIncomplete as exc:
            missing = exc.missing_steps
        else:
            return redirect("intake:intake_entry", token=token)
    return _render_step(
        request,
        token,
        intake,
        LAST_STEP,
        form=form,
        sections=answer_sections(intake),
        missing_steps=[STEPS[n] for n in missing],
    )


@rate_limited
@require_http_methods(["GET", "HEAD", "POST"])
def intake_start_view(request):
    """A new patient starts an intake without an invitation."""
    if request.method == "POST":
        if is_ratelimited(
            request,
            group="intake_start",
            key="ip",
            rate=settings.INTAKE_START_RATE_LIMIT,
            increment=True,
        ):
            return render(request, "intake/public/rate_limited.html", status=429)
        _invitation, token = intake_start()
        return redirect(_step_url(token, 1))
    return render(
        request,
        "intake/public/start.html",
        {"valid_days": IntakeInvitation.VALID_FOR.days},
    )


def _known(address: str) -> str:
    return "" if address == UNKNOWN else address
