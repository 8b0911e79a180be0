from django.contrib import admin

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
