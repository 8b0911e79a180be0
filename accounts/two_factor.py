"""Two-factor login with an authenticator app (TOTP), and backup codes.

django-otp keeps the devices and checks the codes (with its own throttling after
wrong codes). The flow: the password logs the user in, then
accounts.middleware.TwoFactorMiddleware lets them reach only these pages until
the session is verified. A clinic admin with no device is sent to set one up.
"""

import base64

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login
from django_otp import user_has_device

from accounts.middleware import NEEDS_OTP, redirect_with_next
from accounts.roles import CLINIC_ADMIN
from accounts.selectors import backup_codes_left, confirmed_authenticator
from accounts.services import (
    authenticator_confirm,
    authenticator_pending,
    backup_codes_replace,
    second_factor_match,
    second_factor_remove,
)
from audit.trail import Event, record


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        error_messages={"required": "Enter the 6-digit code from your authenticator app."},
    )

    def clean_otp_token(self):
        return "".join(self.cleaned_data["otp_token"].split())


def two_factor_required(user) -> bool:
    """Clinic admins, and anyone who may open /admin/, must use a second factor."""
    return user.is_staff or user.is_superuser or user.groups.filter(name=CLINIC_ADMIN).exists()


def login_step(user) -> str:
    """What a fresh login still owes: "verify", "setup" or nothing ("").

    A user whose credentials an admin reset enrols a new authenticator first,
    whatever their role (accounts.services.credentials_reset).
    """
    if user_has_device(user):
        return "verify"
    return "setup" if two_factor_required(user) or user.must_reset_credentials else ""


def _next_url(request, default="clinic:dashboard"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


def _verified(request, device):
    request.session.cycle_key()
    otp_login(request, device)
    request.session[NEEDS_OTP] = ""


@require_http_methods(["GET", "POST"])
@login_required
def verify(request):
    """The second step of logging in: a code from the app, or a backup code."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = second_factor_match(user=request.user, token=form.cleaned_data["otp_token"])
        if device is not None:
            _verified(request, device)
            return redirect(_next_url(request))
        record(request, Event.OTP_FAILED)
        form.add_error(
            "otp_token",
            "That code did not work. Codes change every 30 seconds: type the newest one, "
            "or one of your backup codes. After several wrong codes you must wait a little "
            "before trying again.",
        )
    return render(
        request, "registration/otp_verify.html", {"form": form, "next": _next_url(request)}
    )


@require_http_methods(["GET", "POST"])
@login_required
def setup(request):
    """Turn on two-factor login: scan a code, type the first one-time code."""
    if user_has_device(request.user) and not request.user.is_verified():
        return redirect_with_next("otp_verify", _next_url(request))
    device = authenticator_pending(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = authenticator_confirm(
            user=request.user, device=device, token=form.cleaned_data["otp_token"]
        )
        if codes is not None:
            _verified(request, device)
            return render(
                request,
                "registration/otp_backup_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
        form.add_error(
            "otp_token",
            "That code did not match. Check the phone's clock is right and type the newest code.",
        )
    secret = base64.b32encode(device.bin_key).decode()
    uri = device.config_url
    return render(
        request,
        "registration/otp_setup.html",
        {
            "form": form,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "qr_svg": segno.make(uri, error="m").svg_inline(
                scale=4, dark="#000", light="#fff", omitsize=True
            ),
            "required": two_factor_required(request.user),
            "next": _next_url(request),
        },
    )


@require_safe
@login_required
def manage(request):
    """The user's own two-factor settings."""
    return render(
        request,
        "registration/otp_manage.html",
        {
            "totp": confirmed_authenticator(request.user),
            "backup_left": backup_codes_left(request.user),
            "required": two_factor_required(request.user),
        },
    )


@login_required
@require_POST
def new_backup_codes(request):
    if not request.user.is_verified():
        return redirect_with_next("otp_verify", reverse("otp_manage"))
    codes = backup_codes_replace(user=request.user)
    return render(
        request,
        "registration/otp_backup_codes.html",
        {"codes": codes, "next": reverse("otp_manage")},
    )


@login_required
@require_POST
def turn_off(request):
    """Staff for whom it is optional may turn it off again, from a verified session."""
    if two_factor_required(request.user):
        messages.error(request, "Your role needs two-factor login; it cannot be turned off.")
    elif not request.user.is_verified():
        return redirect_with_next("otp_verify", reverse("otp_manage"))
    else:
        second_factor_remove(user=request.user)
        request.session[NEEDS_OTP] = ""
        messages.success(request, "Two-factor login is off.")
    return redirect("otp_manage")
