from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from acuclinic import views

admin.site.site_header = "AcuClinic administration"
admin.site.site_title = "AcuClinic admin"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("", include("intake.urls")),
    path("", include("sessions.urls")),
    path("", include("plans.urls")),
]
