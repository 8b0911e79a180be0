from django.urls import path

from progress import outcomes_views, report_views, views

app_name = "progress"

urlpatterns = [
    path("patients/<uuid:code>/progress/", views.progress_view, name="progress"),
    path(
        "patients/<uuid:code>/progress/report.pdf",
        report_views.report_pdf_view,
        name="report_pdf",
    ),
    path("outcomes/", outcomes_views.outcomes_view, name="outcomes"),
]
