"""Staff sessions: time-outs, the two-factor step, and a reset login's new password."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

# Session keys (accounts.auth sets them at login).
LOGIN_AT = "acuclinic_login_at"
SEEN_AT = "acuclinic_seen_at"
NEEDS_OTP = "acuclinic_needs_otp"

# The last-seen time is written back at most this often, so most requests do not
# rewrite the session row.
SEEN_AT_RESOLUTION = 60


class SessionTimeoutMiddleware:
    """Ends a staff session after SESSION_IDLE_MINUTES idle or SESSION_MAX_HOURS in all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            login_at = session.get(LOGIN_AT)
            seen_at = session.get(SEEN_AT, login_at)
            reason = None
            if login_at is None or now - login_at > settings.SESSION_MAX_HOURS * 3600:
                reason = (
                    f"For safety, every session ends {settings.SESSION_MAX_HOURS} hours "
                    "after logging in. Please log in again."
                )
            elif now - seen_at > settings.SESSION_IDLE_MINUTES * 60:
                reason = (
                    f"You were logged out after {settings.SESSION_IDLE_MINUTES} minutes "
                    "without activity. Please log in again."
                )
            if reason:
                logout(request)
                messages.info(request, reason)
                return redirect_to_login(request)
            if now - seen_at >= SEEN_AT_RESOLUTION:
                session[SEEN_AT] = now
        return self.get_response(request)


# Paths a user who still owes the second step may reach (not the password change:
# a stolen password alone must not be enough to change it).
OTP_OPEN_PATHS = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/two-factor/verify/",
    "/accounts/two-factor/setup/",
    "/static/",
    "/healthz",
)


# Paths a user whose credentials an admin reset may reach before choosing a new
# password (after the second step).
RESET_OPEN_PATHS = (*OTP_OPEN_PATHS, "/accounts/password/")


class TwoFactorMiddleware:
    """A user who must give a one-time code reaches nothing else until they have.

    Whether the user must is decided at login (accounts.auth) and kept in the
    session: users with a confirmed device, and every clinic admin (who are sent
    to set one up first). /admin/ needs a verified session from anyone.

    A user whose password or second factor an admin reset then chooses a new
    password before anything else (accounts.services.credentials_reset).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not request.path.startswith(OTP_OPEN_PATHS):
            needs = request.session.get(NEEDS_OTP, "setup")
            admin = request.path.startswith("/admin/") and user.is_staff
            if (needs or admin) and not user.is_verified():
                step = "otp_verify" if needs == "verify" else "otp_setup"
                return redirect_with_next(step, request.path)
        if (
            user.is_authenticated
            and user.must_reset_credentials
            and not request.path.startswith(RESET_OPEN_PATHS)
        ):
            return redirect("password_change")
        return self.get_response(request)


def redirect_with_next(url_name: str, next_path: str):
    """Go to `url_name`, then back to `next_path` (a path only: query strings may
    carry search terms)."""
    return redirect(f"{reverse(url_name)}?{urlencode({'next': next_path}, safe='/')}")


def redirect_to_login(request):
    return redirect_with_next(settings.LOGIN_URL, request.path)
