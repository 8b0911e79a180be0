from django.contrib import admin
from django.contrib.admin.utils import unquote

from audit.trail import record_listed, record_read
from intake.models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    """Read-mostly: demographics are edited in the app, where changes are tracked."""

    list_display = ["last_name", "first_name", "date_of_birth", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["last_name", "first_name", "email", "phone"]
    readonly_fields = [field.name for field in Patient._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Charts are archived, never deleted.
        return False

    # Charts seen in the admin are in the audit trail as in the app.
    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            record_listed(request, changelist.result_list)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        patient = self.get_object(request, unquote(object_id))
        if patient is not None and response.status_code == 200:
            record_read(request, patient, patient=patient)
        return response
