from django.contrib import admin

from campuscode.roster.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["file_name", "school", "created_by_label", "created_at", "state", "rows", "bad"]
    list_filter = ["state", "school"]
    readonly_fields = [field.name for field in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False
