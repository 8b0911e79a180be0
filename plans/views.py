import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.selectors import is_practitioner, practitioners
from audit.trail import record_read
from core.concurrency import EditConflict, rebind_after_conflict
from intake.access import get_patient_for
from intake.models import Patient
from intake.selectors import latest_submitted_intake
from intake.services import ChartArchived
from plans.forms import (
    CloseForm,
    DecisionForm,
    PlanEditForm,
    PlanForm,
)
from plans.models import Plan, PlanDecision
from plans.selectors import (
    WORKLIST_DAYS_AHEAD,
    active_plan,
    baseline_preview,
    due_worklist,
    earlier_plans,
    plan_history,
    plan_outcome,
    plan_protocols,
    plan_referrals,
    plan_visits,
    worklist_counts,
)
from plans.services import (
    ALREADY_ENDED,
    PlanError,
    plan_close,
    plan_create,
    plan_decide,
    plan_update,
    refuse_ended,
    refuse_second_plan,
)
from plans.timeline import timeline
from scheduling.selectors import next_appointment

CLINICAL = "intake.view_clinical_record"
# Steps and events the plan page lists before "Show all".
RECENT_SHOWN = 20


def _get_plan_for(user, code) -> Plan:
    """A plan by its code, for a role that may read plan details."""
    if not (user.has_perm("plans.view_plan") and user.has_perm(CLINICAL)):
        raise PermissionDenied
    return get_object_or_404(
        Plan.objects.select_related("patient", "practitioner", "created_by", "ended_by"),
        code=code,
    )


def _plan_page(request, patient: Patient, plan: Plan | None, *, forms=None, status=200):
    """The plan page: everyone sees the cadence, due date and next appointment;
    clinical roles see the reasons, flags, history and details too."""
    clinical = request.user.has_perm(CLINICAL)
    context = {
        "patient": patient,
        "plan": plan,
        "clinical": clinical,
        "next_appointment": next_appointment(patient),
        "today": timezone.localdate(),
    }
    if plan is not None:
        context["overdue"] = plan.is_overdue()
    if clinical:
        context["earlier_plans"] = earlier_plans(patient, besides=plan)
    if clinical and plan is not None:
        visits = plan_visits(plan)
        outcome = plan_outcome(plan, visits)
        # A long plan shows its newest steps and events, and all of them on request
        # (?all=1): the page's cost then stays about that of a short plan.
        show_all = request.GET.get("all") == "1"
        steps = outcome.steps[::-1]
        events = list(plan_history(plan) if show_all else plan_history(plan)[: RECENT_SHOWN + 1])
        context.update(
            outcome=outcome,
            steps=steps if show_all else steps[:RECENT_SHOWN],
            steps_total=len(steps),
            more_events=len(events) > RECENT_SHOWN and not show_all,
            last_change=outcome.last_change,
            flags=[message for _code, message in outcome.flags],
            chart=timeline(outcome, visits),
            progress_url=reverse("progress:progress", kwargs={"code": patient.code}),
            events=events if show_all else events[:RECENT_SHOWN],
            protocols=plan_protocols(plan),
            referrals=plan_referrals(plan),
        )
        if plan.is_active and request.user.has_perm("plans.change_plan"):
            forms = forms or {}
            Kind = PlanDecision.Kind
            context["decision_forms"] = {
                kind: forms.get(kind) or DecisionForm(initial={"kind": kind}, prefix=kind)
                for kind in (Kind.OVERRIDE, Kind.HOLD, Kind.RELEASE, Kind.BASELINE)
            }
    if plan is None and request.user.has_perm("plans.add_plan"):
        context["derived_baseline"] = baseline_preview(patient)
    record_read(request, plan or patient, patient=patient)
    return render(request, "plans/plan_detail.html", context, status=status)


@require_safe
@login_required
@permission_required("plans.view_plan", raise_exception=True)
def plan_detail(request, code):
    patient = get_patient_for(request.user, code)
    return _plan_page(request, patient, active_plan(patient))


@require_safe
@login_required
def plan_history_detail(request, code):
    """Any plan of a patient, earlier ones included (clinical roles)."""
    plan = _get_plan_for(request.user, code)
    return _plan_page(request, plan.patient, plan)


def _plan_initial(patient: Patient, user) -> dict:
    """A new plan starts from the last submitted intake's answers."""
    intake = latest_submitted_intake(patient)
    initial = {
        "review_date": timezone.localdate() + datetime.timedelta(weeks=6),
        "practitioner": user.pk if is_practitioner(user) else None,
    }
    if intake is not None:
        goals = [intake.goals.strip()] if intake.goals.strip() else []
        goals += [f"{activity} (now {score}/10)" for activity, score in intake.psfs_items]
        pattern = ", ".join(intake.pain_type_labels)
        if intake.trigger_labels:
            pattern += "; worse with " + ", ".join(intake.trigger_labels).lower()
        initial.update(
            months_with_pain=intake.months_with_pain,
            functional_goals="\n".join(goals),
            pain_pattern=pattern,
        )
    return initial


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("plans.add_plan", raise_exception=True)
def plan_create_view(request, code):
    patient = get_patient_for(request.user, code)
    try:
        refuse_second_plan(patient)
    except PlanError as refused:
        messages.info(request, str(refused))
        return redirect("plans:plan_detail", code=patient.code)
    form = PlanForm(
        request.POST if request.method == "POST" else None,
        initial=_plan_initial(patient, request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan_create(patient=patient, data=form.cleaned_data, user=request.user)
        except (PlanError, ChartArchived) as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, "Plan started.")
        return redirect("plans:plan_detail", code=patient.code)
    return render(
        request,
        "plans/plan_form.html",
        {"form": form, "patient": patient, "baseline": baseline_preview(patient)},
    )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("plans.change_plan", raise_exception=True)
def plan_edit_view(request, code):
    plan = _get_plan_for(request.user, code)
    try:
        refuse_ended(plan)
    except PlanError as refused:
        messages.error(request, str(refused))
        return redirect("plans:plan_history", code=plan.code)
    form = PlanEditForm(request.POST if request.method == "POST" else None, instance=plan)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in PlanForm.Meta.fields}
        try:
            plan_update(
                plan=plan,
                data=data,
                reason=form.cleaned_data["reason"],
                user=request.user,
                version=form.cleaned_data["version"],
            )
        except EditConflict as overtaken:
            conflict = overtaken
            form = rebind_after_conflict(form, conflict, request.POST)
        except PlanError as refused:
            messages.error(request, str(refused))
            return redirect("plans:plan_detail", code=plan.patient.code)
        else:
            messages.success(request, "Plan saved.")
            return redirect("plans:plan_detail", code=plan.patient.code)
    # A ModelForm's is_valid() writes the typed values onto the instance; the page
    # header must show the plan as stored, so reload it.
    plan.refresh_from_db()
    record_read(request, plan, patient=plan.patient)
    return render(
        request,
        "plans/plan_form.html",
        {"form": form, "patient": plan.patient, "plan": plan, "conflict": conflict},
        status=409 if conflict else 200,
    )


@login_required
@permission_required("plans.change_plan", raise_exception=True)
@require_POST
def plan_decide_view(request, code):
    plan = _get_plan_for(request.user, code)
    try:
        refuse_ended(plan)
    except PlanError as refused:
        messages.error(request, str(refused))
        return redirect("plans:plan_history", code=plan.code)
    kind = request.POST.get("kind", "")
    if kind not in PlanDecision.Kind.values:
        kind = PlanDecision.Kind.OVERRIDE
    form = DecisionForm(request.POST, prefix=kind)
    # The kind travels unprefixed with the button, so a tampered form cannot mix kinds.
    if form.is_valid() and form.cleaned_data["kind"] == kind:
        data = form.cleaned_data
        try:
            plan_decide(
                plan=plan,
                kind=kind,
                reason=data["reason"],
                rung=data.get("rung") or "",
                baseline_pain=data.get("baseline_pain"),
                user=request.user,
            )
        except PlanError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _DECISION_DONE[kind])
        return redirect("plans:plan_detail", code=plan.patient.code)
    messages.error(request, "Nothing was changed. Check the form below.")
    return _plan_page(request, plan.patient, plan, forms={kind: form}, status=400)


_DECISION_DONE = {
    PlanDecision.Kind.OVERRIDE: "Cadence set.",
    PlanDecision.Kind.HOLD: "Cadence on hold.",
    PlanDecision.Kind.RELEASE: "Hold released: the cadence follows the policy again.",
    PlanDecision.Kind.BASELINE: "Baseline corrected and the history replayed.",
}


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("plans.change_plan", raise_exception=True)
def plan_close_view(request, code):
    plan = _get_plan_for(request.user, code)
    try:
        refuse_ended(plan, ALREADY_ENDED)
    except PlanError as refused:
        messages.info(request, str(refused))
        return redirect("plans:plan_history", code=plan.code)
    form = CloseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            plan_close(
                plan=plan,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                user=request.user,
            )
        except PlanError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, "Plan ended. It stays on the chart.")
        return redirect("plans:plan_detail", code=plan.patient.code)
    return render(
        request, "plans/plan_close.html", {"form": form, "plan": plan, "patient": plan.patient}
    )


# --- the worklist -----------------------------------------------------------------

# The worklist's tabs, by whether a visit is booked ahead ("all" shows both).
_WORKLIST_TABS = {"to_book": False, "booked": True}


@require_safe
@login_required
@permission_required("plans.view_plan", raise_exception=True)
def due_list(request):
    today = timezone.localdate()
    staff = list(practitioners())
    chosen = None
    wanted = request.GET.get("practitioner", "")
    # Ignore anything but a plain number (isdigit() alone lets "²" through).
    if wanted.isascii() and wanted.isdecimal():
        chosen = next((p for p in staff if str(p.pk) == wanted), None)
    practitioner_id = chosen.pk if chosen else None
    counts = worklist_counts(due_worklist(today=today, practitioner_id=practitioner_id))
    show = request.GET.get("show", "to_book")
    if show not in _WORKLIST_TABS:
        show = "all"
    plans = due_worklist(
        today=today, practitioner_id=practitioner_id, booked=_WORKLIST_TABS.get(show)
    )
    paginator = Paginator(plans, settings.PLANS_PER_PAGE)
    # The tab's plans are counted already: the pager needs no count of its own.
    paginator.count = counts.get(show, counts["to_book"] + counts["booked"])
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "plans/due_list.html",
        {
            "page": page,
            "counts": counts,
            "show": show,
            "practitioners": staff,
            "chosen": chosen,
            "today": today,
            "days_ahead": WORKLIST_DAYS_AHEAD,
            "due_by": today + datetime.timedelta(days=WORKLIST_DAYS_AHEAD),
        },
    )
