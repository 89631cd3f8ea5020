from django.contrib import admin

from campuscode.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, in the admin as everywhere."""

    list_display = ["at", "actor_label", "action", "subject_label", "ip"]
    list_filter = ["action"]
    search_fields = ["actor_label", "subject_label", "action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
