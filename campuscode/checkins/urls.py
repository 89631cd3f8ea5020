import os

from django.urls import path

from campuscode.checkins import views, views_flags, views_manage

app_name = "checkins"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("p/<int:point_id>/<str:token>/", views.point_url, name="point"),
    path("done/<int:pk>/", views.done, name="done"),
    path("kiosk/<int:point_id>/", views_manage.kiosk, name="kiosk"),
    path("kiosk/<int:point_id>/panel/", views_manage.kiosk_panel, name="kiosk_panel"),
    path("kiosk/<int:point_id>/enrol/", views_manage.kiosk_enrol, name="kiosk_enrol"),
    path("points/<int:pk>/screens/", views_manage.display_new, name="display_new"),
    path("screens/<int:pk>/rotate/", views_manage.display_rotate, name="display_rotate"),
    path("screens/<int:pk>/revoke/", views_manage.display_revoke, name="display_revoke"),
    path(
        "screen-alerts/<int:pk>/resolve/",
        views_manage.display_alert_resolve,
        name="display_alert_resolve",
    ),
    path("scanned/", views.scanned, name="scanned"),
    path("networks/", views_manage.networks, name="networks"),
    path("points/", views_manage.points, name="points"),
    path("points/export.xlsx", views_manage.points_export, name="points_export"),
    path("points/import/", views_manage.points_import, name="points_import"),
    path("points/<int:pk>/", views_manage.point_edit, name="point_edit"),
    path("points/<int:pk>/poster/", views_manage.poster, name="poster"),
    path("notices/", views_manage.notices, name="notices"),
    path("lists/", views_manage.roll, name="roll"),
    path("lists/export.xlsx", views_manage.roll_export, name="roll_export"),
    path("lists/remind/", views_manage.roll_remind, name="roll_remind"),
    path("flags/", views_flags.flags, name="flags"),
    path("flags/export.xlsx", views_flags.flags_export, name="flags_export"),
    path("flags/<int:pk>/explain/", views_manage.flag_explain, name="flag_explain"),
    path("people/<int:pk>/", views_manage.person_history, name="person"),
    path("campuses/", views_manage.campuses, name="campuses"),
]

# The benchmark's ceiling: the same stack doing one INSERT. Never on in production.
if os.environ.get("CAMPUSCODE_BENCH_CEILING") == "1":  # pragma: no cover
    from campuscode.checkins.bench_views import ceiling

    urlpatterns.append(path("bench-ceiling/", ceiling, name="bench_ceiling"))
