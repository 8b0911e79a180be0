from django.urls import path

from sessions import views

app_name = "treatment_sessions"

urlpatterns = [
    path("patients/<uuid:code>/sessions/new/", views.session_create_view, name="session_create"),
    path("sessions/<uuid:code>/", views.session_detail, name="session_detail"),
    path("sessions/<uuid:code>/edit/", views.session_edit_view, name="session_edit"),
    path("sessions/<uuid:code>/sign/", views.session_sign_view, name="session_sign"),
    path("sessions/<uuid:code>/addenda/", views.addendum_create_view, name="addendum_create"),
    path("sessions/<uuid:code>/discard/", views.session_discard_view, name="session_discard"),
    path("points/", views.point_list, name="point_list"),
    path("protocols/", views.protocol_list, name="protocol_list"),
    path("protocols/new/", views.protocol_create_view, name="protocol_create"),
    path("protocols/<uuid:code>/edit/", views.protocol_edit_view, name="protocol_edit"),
]
