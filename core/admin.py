from django.contrib import admin

from core.models import Clinic


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    """The clinic's one row of details: changed, never added twice or deleted."""

    fields = ["name", "phone", "address"]

    def has_add_permission(self, request):
        return not Clinic.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
