from django.contrib import admin

from campuscode.accounts.models import ClaimGuard, OutboxMessage


@admin.register(ClaimGuard)
class ClaimGuardAdmin(admin.ModelAdmin):
    """The IT office lifts a claim lock by clearing 'locked until' (or deleting the row)."""

    list_display = ["number", "school", "failures", "locked_until"]
    list_filter = ["school"]
    search_fields = ["number"]
    readonly_fields = ["window_started_at"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["sent_at", "to", "subject"]
    readonly_fields = ["sent_at", "to", "subject", "body"]
