from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_create_view, name="patient_create"),
    path("patients/<uuid:code>/", views.patient_detail, name="patient_detail"),
    path("patients/<uuid:code>/edit/", views.patient_update_view, name="patient_update"),
    path("patients/<uuid:code>/archive/", views.patient_archive_view, name="patient_archive"),
    path("patients/<uuid:code>/restore/", views.patient_restore_view, name="patient_restore"),
]
