from django.urls import path

from campuscode.gates import views

app_name = "gates"
urlpatterns = [
    path("", views.live, name="live"),
    path("live/panel/", views.live_panel, name="live_panel"),
    path("events/", views.events, name="events"),
    path("events/export.xlsx", views.export_events, name="export"),
    path("devices/", views.devices, name="devices"),
    path("devices/new/", views.device_new, name="device_new"),
    path("devices/<int:pk>/rotate/", views.device_rotate, name="device_rotate"),
    path("devices/<int:pk>/revoke/", views.device_revoke, name="device_revoke"),
    path("alerts/<int:pk>/resolve/", views.alert_resolve, name="alert_resolve"),
    path("places/", views.places, name="places"),
    path("places/new/", views.place_edit, name="place_new"),
    path("places/<int:pk>/", views.place_edit, name="place_edit"),
    path("mine/", views.mine, name="mine"),
    path("kiosk/", views.kiosk, name="kiosk"),
    path("kiosk/sw.js", views.kiosk_worker, name="kiosk_worker"),
]
