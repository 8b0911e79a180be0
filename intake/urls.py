from django.urls import path

from intake import public_views, views

app_name = "intake"

urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_create_view, name="patient_create"),
    path("patients/<uuid:code>/edit/", views.patient_update_view, name="patient_update"),
    path("patients/<uuid:code>/archive/", views.patient_archive_view, name="patient_archive"),
    path("patients/<uuid:code>/restore/", views.patient_restore_view, name="patient_restore"),
    path(
        "patients/<uuid:code>/intake-invitations/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("intakes/", views.intake_queue, name="intake_queue"),
    path("intakes/<uuid:code>/review/", views.intake_review_view, name="intake_review"),
    path("intakes/<uuid:code>/register/", views.registration_view, name="registration"),
    path(
        "intakes/<uuid:code>/discard/", views.registration_discard_view, name="registration_discard"
    ),
    # The patient's side: no login, the link's token is the key.
    path("intake/start/", public_views.intake_start_view, name="intake_start"),
    path("intake/<str:token>/", public_views.intake_entry, name="intake_entry"),
    path("intake/<str:token>/step/<int:step>/", public_views.intake_step, name="intake_step"),
]
