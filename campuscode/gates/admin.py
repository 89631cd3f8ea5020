from django.contrib import admin

from campuscode.gates.models import Gate, GateAlert, GateEvent, Place


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "campus", "kind", "opens_at", "closes_at", "active"]
    list_filter = ["kind", "campus"]


@admin.register(Gate)
class GateAdmin(admin.ModelAdmin):
    list_display = ["name", "place", "token_hint", "last_heartbeat_at", "revoked_at"]
    readonly_fields = ["token_hint", "last_heartbeat_at", "last_sync_at"]


@admin.register(GateEvent)
class GateEventAdmin(admin.ModelAdmin):
    list_display = ["at", "gate", "direction", "allowed", "reason", "source"]
    list_filter = ["allowed", "reason", "source"]
    raw_id_fields = ["person"]


@admin.register(GateAlert)
class GateAlertAdmin(admin.ModelAdmin):
    list_display = ["gate", "kind", "raised_at", "resolved_at"]
