"""What a login sets up in the session: its clocks and the two-factor step owed."""

import time

from acuclinic.middleware import LOGIN_AT, NEEDS_OTP, SEEN_AT


def start_session(sender, request, user, **kwargs):
    from acuclinic.two_factor import login_step

    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now
    request.session[NEEDS_OTP] = login_step(user)
