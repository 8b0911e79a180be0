"""What a login sets up in the session: its clocks and the two-factor step owed."""

import time

from accounts.middleware import LOGIN_AT, NEEDS_OTP, SEEN_AT
from accounts.two_factor import login_step


def start_session(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now
    request.session[NEEDS_OTP] = login_step(user)
