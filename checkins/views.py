"""Staff pages of check-ins: making a link (shown once, on the chart) and stopping it.

The chart page belongs to the clinic app, above this one: it hands this app its
renderer (register_chart_page, from clinic.apps), so a new link is shown on the
chart in the response to the POST that made it, as intake links are, and is never
stored or put in a URL.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from checkins.models import CheckIn
from checkins.services import (
    CheckInRefused,
    checkin_create,
    checkin_link,
    checkin_path,
    checkin_revoke,
    checkin_send,
)
from intake.access import get_patient_for

_chart_page: Callable | None = None


def register_chart_page(render_chart: Callable) -> None:
    """render_chart(request, patient, **extra) -> the chart's response."""
    global _chart_page
    _chart_page = render_chart


def _back_to_chart(patient):
    return redirect("clinic:patient_detail", code=patient.code)


@login_required
@permission_required("checkins.add_checkin", raise_exception=True)
@require_POST
def checkin_create_view(request, code):
    """Make a check-in asked for by the clinic. With `send`, queue the message to the
    patient (its link is made as it is sent); otherwise show the link on the chart,
    once. Either replaces an open check-in."""
    patient = get_patient_for(request.user, code)
    try:
        # One transaction: the open check-in it replaces is not stopped unless the new
        # one is made and its message queued (or its link minted).
        with transaction.atomic():
            check_in = checkin_create(patient, by=request.user, reason=CheckIn.Reason.ON_DEMAND)
            if request.POST.get("send"):
                queued = checkin_send(check_in)
            else:
                token = checkin_link(check_in)
    except CheckInRefused as refusal:
        messages.error(request, str(refusal))
        return _back_to_chart(patient)
    if request.POST.get("send"):
        if queued.message is None:
            messages.error(
                request,
                f"The check-in was made but cannot be sent: {queued.not_queued} "
                "Make a link to copy instead.",
            )
        else:
            messages.success(
                request,
                f"The check-in is on its way to the patient by "
                f"{queued.message.get_channel_display().lower()}.",
            )
        return _back_to_chart(patient)
    link = request.build_absolute_uri(checkin_path(token))
    return _chart_page(request, patient, new_check_in_link=link)


@login_required
@permission_required("checkins.add_checkin", raise_exception=True)
@require_POST
def checkin_revoke_view(request, code):
    patient = get_patient_for(request.user, code)
    if checkin_revoke(patient, by=request.user):
        messages.success(request, "The check-in was stopped: its link no longer works.")
    else:
        messages.info(request, "There was no open check-in to stop.")
    return _back_to_chart(patient)
