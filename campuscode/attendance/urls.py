from django.urls import path

from campuscode.attendance import views, views_reports, views_timetable

app_name = "attendance"
urlpatterns = [
    path("", views.sessions, name="sessions"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:pk>/", views.roll_view, name="roll"),
    path("sessions/<int:pk>/mark/", views.roll_mark, name="roll_mark"),
    path("sessions/<int:pk>/rest-present/", views.roll_rest_present, name="rest_present"),
    path("sessions/<int:pk>/screen/", views.screen, name="screen"),
    path("sessions/<int:pk>/screen/panel/", views.screen_panel, name="screen_panel"),
    path("sessions/<int:pk>/scanner/", views.scanner, name="scanner"),
    path("sessions/<int:pk>/scanner/scan/", views.scanner_scan, name="scanner_scan"),
    path("sessions/<int:pk>/scanner/upload/", views.scanner_upload, name="scanner_upload"),
    path("sessions/<int:pk>/makeup/", views_reports.makeup, name="makeup"),
    path("s/<int:pk>/<str:token>/", views.scan, name="scan"),
    path("code/", views.short_code_view, name="short_code"),
    path("mine/", views_reports.mine, name="mine"),
    path("requests/", views_reports.requests_queue, name="requests"),
    path("requests/<int:pk>/decide/", views_reports.decide, name="decide"),
    path("reports/", views_reports.reports, name="reports"),
    path("reports/export.xlsx", views_reports.reports_export, name="reports_export"),
    path("my-reports/", views_reports.my_reports, name="my_reports"),
    path("my-reports/export.xlsx", views_reports.my_reports_export, name="my_reports_export"),
    path("students/<int:pk>/", views_reports.student, name="student"),
    path("timetable/", views_timetable.timetable, name="timetable"),
    path("timetable/<int:pk>/upload/", views_timetable.timetable_upload, name="timetable_upload"),
    path("timetable/<int:pk>/commit/", views_timetable.timetable_commit, name="timetable_commit"),
    path(
        "timetable/<int:pk>/generate/",
        views_timetable.timetable_generate,
        name="timetable_generate",
    ),
]
