from django.contrib import admin

from campuscode.core.models import Setting


@admin.register(Setting)
class SettingAdmin(admin.ModelAdmin):
    list_display = ["key", "school", "value", "updated_at", "updated_by"]
    list_filter = ["school"]
