from django.urls import path

from plans import views

app_name = "plans"

urlpatterns = [
    path("patients/<uuid:code>/plan/", views.plan_detail, name="plan_detail"),
    path("patients/<uuid:code>/plan/new/", views.plan_create_view, name="plan_create"),
    path("plans/due/", views.due_list, name="due_list"),
    path("plans/<uuid:code>/", views.plan_history_detail, name="plan_history"),
    path("plans/<uuid:code>/edit/", views.plan_edit_view, name="plan_edit"),
    path("plans/<uuid:code>/decisions/", views.plan_decide_view, name="plan_decide"),
    path("plans/<uuid:code>/close/", views.plan_close_view, name="plan_close"),
]
