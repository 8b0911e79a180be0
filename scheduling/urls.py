from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("schedule/", views.schedule_view, name="schedule"),
    path("schedule/book/", views.schedule_book_view, name="schedule_book"),
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
    path(
        "appointments/<uuid:code>/arrived/",
        views.appointment_arrived_view,
        name="appointment_arrived",
    ),
    path(
        "appointments/<uuid:code>/cancel/",
        views.appointment_cancel_view,
        name="appointment_cancel",
    ),
    path("appointments/<uuid:code>/ics/", views.appointment_ics_view, name="appointment_ics"),
]
