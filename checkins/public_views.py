"""The patient's side of a check-in: one page reached by a link, without a login.

As for intake links (intake.public_views): the token in the URL is the only key,
looked up by its hash; an unknown, expired, stopped or answered link shows the same
page, which says nothing about the patient; requests are rate limited per address
in the same count as intake links; pages are never cached, and the token is
redacted from logs (core.logs) and the audit trail.
"""

import functools

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from checkins.forms import CheckInForm
from checkins.models import CheckIn
from checkins.services import CheckInClosed, InvalidAnswers, checkin_for_token, checkin_submit


def rate_limited(view):
    """Refuse a client address that asks too often. Counted with the intake links'
    requests (one group), so guessing at both kinds of link shares one allowance."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if is_ratelimited(
            request, group="intake", key="ip", rate=settings.INTAKE_RATE_LIMIT, increment=True
        ):
            return render(request, "checkins/public/rate_limited.html", status=429)
        return view(request, *args, **kwargs)

    return wrapper


def _link_unavailable(request, *, status: int):
    # The same words for an unknown, expired, stopped or answered link: nothing says
    # whether a patient, or a check-in, ever existed, or what was answered.
    return render(
        request,
        "checkins/public/link_unavailable.html",
        {"valid_days": CheckIn.VALID_FOR.days},
        status=status,
    )


@rate_limited
@require_http_methods(["GET", "HEAD", "POST"])
def checkin_entry(request, token):
    """The questionnaire; once answered, a thank-you page, this once."""
    check_in = checkin_for_token(token)
    if check_in is None:
        return _link_unavailable(request, status=404)
    if not check_in.is_open:
        return _link_unavailable(request, status=410)
    form = CheckInForm(request.POST if request.method == "POST" else None, check_in=check_in)
    if form.is_bound and form.is_valid():
        try:
            checkin_submit(check_in, form.cleaned_data)
        except CheckInClosed:
            # Answered in another tab (or stopped) a moment ago.
            return _link_unavailable(request, status=410)
        except InvalidAnswers as invalid:
            for field, message in invalid.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            # Shown in answer to the submission only: the link, opened again, shows
            # the unavailable page, never the answers.
            return render(request, "checkins/public/thank_you.html")
    return render(request, "checkins/public/check_in_form.html", {"form": form})
