from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import two_factor, views
from accounts.forms import LoginForm

# No app_name: the login and password pages keep Django's own names ("login",
# "password_change"), which Django's settings and views look up.
urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/two-factor/", two_factor.manage, name="otp_manage"),
    path("accounts/two-factor/verify/", two_factor.verify, name="otp_verify"),
    path("accounts/two-factor/setup/", two_factor.setup, name="otp_setup"),
    path("accounts/two-factor/backup-codes/", two_factor.new_backup_codes, name="otp_backup_codes"),
    path("accounts/two-factor/off/", two_factor.turn_off, name="otp_turn_off"),
]
