from django.urls import path

from clinic import views

app_name = "clinic"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("patients/<uuid:code>/", views.patient_detail, name="patient_detail"),
    path(
        "patients/<uuid:code>/intake-invitations/",
        views.invitation_create_view,
        name="invitation_create",
    ),
    path("audit/", views.audit_list, name="audit_list"),
]
