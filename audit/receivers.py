"""Logins, logouts, failed logins and lockouts go to the audit trail."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from audit.trail import Event, record


def _logged_in(sender, request, user, **kwargs):
    record(request, Event.LOGIN, user=user)


def _logged_out(sender, request, user, **kwargs):
    record(request, Event.LOGOUT, user=user)


def _login_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in `credentials` with asterisks.
    username = str(credentials.get("username", ""))
    record(request, Event.LOGIN_FAILED, username=username)


def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    record(request, Event.LOCKED_OUT, username=str(username or ""))


def connect():
    user_logged_in.connect(_logged_in, dispatch_uid="audit_login")
    user_logged_out.connect(_logged_out, dispatch_uid="audit_logout")
    user_login_failed.connect(_login_failed, dispatch_uid="audit_login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="audit_locked_out")
