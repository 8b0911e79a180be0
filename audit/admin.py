from auditlog.admin import LogEntryAdmin
from django.contrib import admin

from audit.models import AuditEntry

# auditlog registers its admin for the log model; here it is read-only too.
admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryAdmin(LogEntryAdmin):
    list_display = ["created", "event", "resource_url", "msg_short", "user_url", "remote_addr"]
    list_filter = ["event"]

    @admin.display(description="Resource")
    def resource_url(self, obj):
        # Logins, logouts and refusals concern no record.
        if obj.content_type_id is None:
            return obj.path or "-"
        return super().resource_url(obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
