# django-otp's admin modules register their pages when imported; importing them
# here first means they are registered before being replaced below, whichever
# order the apps load in.
import django_otp.plugins.otp_static.admin  # noqa: F401
import django_otp.plugins.otp_totp.admin  # noqa: F401
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import BackupCodeDevice, PractitionerProfile, User
from accounts.services import credentials_reset


class PractitionerProfileInline(admin.StackedInline):
    model = PractitionerProfile
    can_delete = False
    extra = 0
    max_num = 1


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Staff accounts, kept by the clinic admin.

    What would let one person act as another is closed here: only a superuser
    grants superuser status or permissions one by one, or changes a superuser; no
    one changes their own roles; and a password set for someone else makes that
    person enrol a new second factor and choose their own password at the next
    login (accounts.services.credentials_reset). Every change is in the audit trail.
    """

    inlines = [PractitionerProfileInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "groups"]
    readonly_fields = ["must_reset_credentials", "last_login", "date_joined"]

    SUPERUSER_ONLY = ("is_superuser", "user_permissions")
    NOT_ON_ONESELF = ("groups", "is_staff", "is_active")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [*fieldsets, ("Login reset", {"fields": ["must_reset_credentials"]})]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += self.SUPERUSER_ONLY
            if obj is not None and obj.pk == request.user.pk:
                readonly += self.NOT_ON_ONESELF
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A staff member who leaves is made inactive: their name stays on the
        # records and the audit trail they are part of.
        return False

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, unquote(id))
                if user.pk != request.user.pk:
                    credentials_reset(
                        user=user, reset_by=request.user, what="password set in the admin"
                    )
                    messages.info(
                        request,
                        f"{user.username} is logged out everywhere, and at the next login "
                        "sets up two-factor login again and chooses a new password.",
                    )
        return response


@admin.register(PractitionerProfile)
class PractitionerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "licensing_body", "licence_number", "licence_expiry"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__last_name", "licence_number"]

    def has_delete_permission(self, request, obj=None):
        return False


# django-otp's own admin pages show each authenticator's secret key and QR code,
# and backup codes in clear, and let an admin add a device with a key of their
# choosing for anyone: each a way to log in as someone else. Here a device can
# only be looked at (whose, what kind, when used) and removed, which resets its
# owner's login. django-otp's static codes are no longer used (the codes moved to
# BackupCodeDevice, hashed).
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


class SecondFactorAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__last_name"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        self._remove(request, [obj])

    def delete_queryset(self, request, queryset):
        self._remove(request, list(queryset.select_related("user")))

    @transaction.atomic
    def _remove(self, request, devices):
        for device in devices:
            device.delete()
            credentials_reset(
                user=device.user, reset_by=request.user, what=f"{device.name} removed"
            )


admin.site.register(TOTPDevice, SecondFactorAdmin)
admin.site.register(BackupCodeDevice, SecondFactorAdmin)
