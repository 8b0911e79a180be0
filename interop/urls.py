from django.urls import path

from interop import views

app_name = "interop"

urlpatterns = [
    path(
        "fhir/Patient/<uuid:code>/$everything",
        views.patient_everything_view,
        name="patient_everything",
    ),
    path("patients/<uuid:code>/sessions.csv", views.sessions_csv_view, name="sessions_csv"),
]
