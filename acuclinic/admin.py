from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from acuclinic.models import PractitionerProfile, User


class PractitionerProfileInline(admin.StackedInline):
    model = PractitionerProfile
    can_delete = False
    extra = 0
    max_num = 1


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [PractitionerProfileInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "groups"]

    def has_delete_permission(self, request, obj=None):
        # A staff member who leaves is made inactive: their name stays on the
        # records and the audit trail they are part of.
        return False


@admin.register(PractitionerProfile)
class PractitionerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "licensing_body", "licence_number", "licence_expiry"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__last_name", "licence_number"]

    def has_delete_permission(self, request, obj=None):
        return False
