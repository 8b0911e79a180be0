from auditlog.middleware import AuditlogMiddleware

from audit.trail import Event, client_address, record


class AuditContextMiddleware(AuditlogMiddleware):
    """auditlog's actor and address for every change, plus refused requests.

    The address is the one the rest of the app trusts (acuclinic.net.client_ip),
    not a client-supplied X-Forwarded-For. Every 403, whichever code refused it
    (a role check, CSRF), is recorded with the path, never the query string.
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
        return response
