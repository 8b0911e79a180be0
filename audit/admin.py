from auditlog.admin import LogEntryAdmin
from django.contrib import admin

from audit.models import AuditEntry

# auditlog registers its admin for the log model; here it is read-only too.
admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryAdmin(LogEntryAdmin):
    list_display = ["created", "event", "resource_url", "msg_short", "user_url", "remote_addr"]
    list_filter = ["event"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
