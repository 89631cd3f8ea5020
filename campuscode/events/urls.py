from django.urls import path

from campuscode.events import views

app_name = "events"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("new/", views.event_edit, name="new"),
    path("<int:pk>/", views.event_detail, name="detail"),
    path("<int:pk>/edit/", views.event_edit, name="edit"),
    path("<int:pk>/register/", views.register, name="register"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("registrations/<int:pk>/decide/", views.decide, name="decide"),
    path("sittings/<int:pk>/counts/", views.counts_panel, name="counts"),
    path("sittings/<int:pk>/walk-in/", views.walk_in, name="walk_in"),
    path("sittings/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("sittings/<int:pk>/export.xlsx", views.export, name="export"),
    path("sittings/<int:pk>/undo/", views.undo, name="undo"),
    path("sittings/<int:pk>/screen/", views.screen, name="screen"),
    path("sittings/<int:pk>/screen/panel/", views.screen_panel, name="screen_panel"),
    path("points/<int:pk>/door/", views.door_page, name="door"),
    path("points/<int:pk>/door/list.json", views.door_list, name="door_list"),
    path("points/<int:pk>/door/scan", views.door_scan, name="door_scan"),
    path("points/<int:pk>/door/upload", views.door_upload, name="door_upload"),
    path("s/<int:pk>/<str:token>/", views.qr, name="qr"),
    path("s/<int:pk>/", views.qr_sign, name="qr_sign"),
    path("mine/", views.mine, name="mine"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:pk>/decide/", views.review_decide, name="review_decide"),
]
