from django.views.csrf import csrf_failure as django_csrf_failure

from core.logs import REFUSAL_REASON


def csrf_failure(request, reason=""):
    """Django's CSRF refusal page (templates/403_csrf.html), with the reason kept
    for the one log line of audit.middleware."""
    setattr(request, REFUSAL_REASON, reason or "CSRF check failed")
    return django_csrf_failure(request, reason=reason)
