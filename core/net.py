"""The client's address, for rate limits, lockouts, consent records and the audit trail."""

import ipaddress

from django.conf import settings

# Stands for a client whose address cannot be known (never bound to).
UNKNOWN = "0.0.0.0"  # noqa: S104  # nosec B104


def client_ip(request) -> str:
    """The address the request came from, always a bare IP address.

    REMOTE_ADDR unless DJANGO_CLIENT_IP_HEADER names a header that a trusted
    reverse proxy sets (e.g. X-Real-IP). With a list (X-Forwarded-For style),
    the last address is the one the proxy itself saw. A port the proxy added
    ("203.0.113.7:4711", "[2001:db8::1]:443") is dropped; anything that is still
    not an address ("unknown") falls back to REMOTE_ADDR.
    """
    value = request.META.get(settings.CLIENT_IP_META_KEY) or ""
    address = _bare_address(value.split(",")[-1].strip())
    if address is None:
        address = _bare_address(request.META.get("REMOTE_ADDR", "")) or UNKNOWN
    return address


def _bare_address(value: str) -> str | None:
    candidates = [value]
    if value.startswith("[") and "]" in value:  # [IPv6]:port
        candidates.append(value[1 : value.index("]")])
    elif value.count(":") == 1:  # IPv4:port
        candidates.append(value.split(":")[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None
