from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path(
        "patients/<uuid:code>/appointments/new/",
        views.appointment_create_view,
        name="appointment_create",
    ),
    path(
        "appointments/<uuid:code>/status/",
        views.appointment_status_view,
        name="appointment_status",
    ),
    path("appointments/<uuid:code>/ics/", views.appointment_ics, name="appointment_ics"),
]
