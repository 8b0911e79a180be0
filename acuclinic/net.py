"""The client's address, for rate limits and consent records."""

from django.conf import settings


def client_ip(request) -> str:
    """The address the request came from.

    REMOTE_ADDR unless DJANGO_CLIENT_IP_HEADER names a header that a trusted
    reverse proxy sets (e.g. X-Real-IP). With a list (X-Forwarded-For style),
    the last address is the one the proxy itself saw.
    """
    value = request.META.get(settings.CLIENT_IP_META_KEY) or request.META.get("REMOTE_ADDR", "")
    return value.split(",")[-1].strip()
