from django.urls import path

from checkins import public_views, views

app_name = "checkins"

urlpatterns = [
    path("patients/<uuid:code>/check-ins/", views.checkin_create_view, name="checkin_create"),
    path(
        "patients/<uuid:code>/check-ins/revoke/",
        views.checkin_revoke_view,
        name="checkin_revoke",
    ),
    path("check-in/<str:token>/", public_views.checkin_entry, name="checkin_entry"),
]
