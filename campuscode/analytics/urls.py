from django.urls import path

from campuscode.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.xlsx", views.dashboard_export, name="dashboard_export"),
    path("gates/", views.gates, name="gates"),
    path("gates/export.xlsx", views.gates_export, name="gates_export"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("reports/<int:pk>/export.xlsx", views.report_export, name="report_export"),
    path("reports/<int:pk>/report.pdf", views.report_pdf, name="report_pdf"),
]
