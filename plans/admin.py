from django.contrib import admin

from plans.models import ReferralContact


@admin.register(ReferralContact)
class ReferralContactAdmin(admin.ModelAdmin):
    """The clinic's referral directory, kept by the clinic admin. Contacts named on a
    plan are retired (untick "active"), never deleted, so old plans keep them."""

    list_display = ["name", "profession", "organisation", "phone", "is_active"]
    list_filter = ["profession", "is_active"]
    search_fields = ["name", "organisation"]
    fields = [
        "name",
        "profession",
        "organisation",
        "phone",
        "email",
        "address",
        "notes",
        "is_active",
    ]

    def has_delete_permission(self, request, obj=None):
        return False
