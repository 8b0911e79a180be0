"""The project's URLs: each app's own, and the admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from core import bench

admin.site.site_header = "AcuClinic administration"
admin.site.site_title = "AcuClinic admin"

urlpatterns = [
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("clinic.urls")),
    path("", include("intake.urls")),
    path("", include("messaging.urls")),
    path("", include("scheduling.urls")),
    path("", include("sessions.urls")),
    path("", include("plans.urls")),
    path("", include("checkins.urls")),
    path("", include("progress.urls")),
    path("", include("interop.urls")),
]

if settings.BENCH_VIEWS:
    # Unnamed: not a page of the app, only the benchmark's yardstick (core/bench.py).
    urlpatterns.append(path("bench/bare/", bench.bare))
