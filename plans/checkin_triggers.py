"""Check-ins the plan asks for (docs/clinical-rules.md section 1): after every
`plan.check_in_every` signed sessions, and at the plan's review date. Each is made
by checkins.services.checkin_create (none while another waits for answers) and sent
by the patient's chosen way (checkin_send); 0 sessions turns both off.
"""

import datetime

from django.db.models import Exists, OuterRef, Q

from checkins.models import CheckIn
from checkins.services import CheckInRefused, checkin_create, checkin_send
from intake.models import Patient
from plans.models import Plan
from sessions.models import TreatmentSession


def _ask(patient: Patient, reason: str) -> CheckIn | None:
    try:
        check_in = checkin_create(patient, by=None, reason=reason)
    except CheckInRefused:
        # No submitted intake, or an archived chart: nothing to ask again.
        return None
    if check_in is not None:
        checkin_send(check_in)
    return check_in


def check_in_after_session(*, session: TreatmentSession, plan: Plan | None) -> CheckIn | None:
    """Called as a session is signed, after the plan counted it (same transaction):
    a check-in when the plan now counts a multiple of check_in_every sessions."""
    if plan is None or not plan.is_active or not plan.check_in_every:
        return None
    counted = plan.plan_sessions.count()
    if counted == 0 or counted % plan.check_in_every:
        return None
    return _ask(plan.patient, CheckIn.Reason.SESSIONS)


# A review date further back than this asks for nothing: a plan whose review went by
# unnoticed (or a first run after upgrading) must not send a burst of check-ins.
REVIEW_DATE_REACH = datetime.timedelta(days=7)


def review_date_check_ins(today: datetime.date) -> int:
    """A check-in for each active plan whose review date is today or in the week before
    and whose patient has had no check-in made, or answered, since that date.
    Idempotent: run again, it finds the one it made. Returns how many were made."""
    since_review = CheckIn.objects.filter(patient=OuterRef("patient")).filter(
        Q(created_at__date__gte=OuterRef("review_date"))
        | Q(submitted_at__date__gte=OuterRef("review_date"))
    )
    plans = (
        Plan.objects.active()
        .filter(
            review_date__lte=today,
            review_date__gte=today - REVIEW_DATE_REACH,
            check_in_every__gt=0,
            patient__status=Patient.Status.ACTIVE,
        )
        .exclude(Exists(since_review))
        .select_related("patient")
        .order_by("review_date", "pk")
    )
    return sum(_ask(plan.patient, CheckIn.Reason.REVIEW_DATE) is not None for plan in plans)
