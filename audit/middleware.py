import logging

from auditlog.middleware import AuditlogMiddleware
from django.core.exceptions import PermissionDenied

from audit.trail import Event, client_address, record
from core.logs import REFUSAL_REASON, redact

logger = logging.getLogger("acuclinic.refused")


class AuditContextMiddleware(AuditlogMiddleware):
    """auditlog's actor and address for every change, plus refused requests.

    The address is the one the rest of the app trusts (core.net.client_ip),
    not a client-supplied X-Forwarded-For. Every 403, whichever code refused it
    (a role check, CSRF), is recorded with the path (link tokens redacted), never
    the query string, and logged as one line: path, user and reason.
    """

    @staticmethod
    def _get_remote_addr(request):
        return client_address(request)

    @staticmethod
    def _get_remote_port(request):
        return None

    def __call__(self, request):
        response = super().__call__(request)
        if response.status_code == 403:
            record(request, Event.DENIED)
            user = getattr(request, "user", None)
            logger.warning(
                "Forbidden (%s): %s user=%s",
                getattr(request, REFUSAL_REASON, "refused by the page"),
                redact(request.path),
                user.username if user is not None and user.is_authenticated else "anonymous",
            )
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            # The app raises it without words (a role without the permission).
            setattr(request, REFUSAL_REASON, str(exception) or "no permission for this page")
        return None
