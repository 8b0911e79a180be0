"""Who may reach which session note: one place for the role rules."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from sessions.models import TreatmentSession


def get_session_for(user, code) -> TreatmentSession:
    """The session with this code, if the user's role may read session notes.

    Refused before the lookup, so a refused user learns nothing about which codes
    exist; Http404 for an unknown code.
    """
    if not user.has_perm("treatment_sessions.view_treatmentsession"):
        raise PermissionDenied
    return get_object_or_404(
        TreatmentSession.objects.select_related(
            "patient",
            "created_by",
            "signed_by",
            "discarded_by",
            "appointment",
            "appointment__practitioner",
        ),
        code=code,
    )
