from django.urls import path

from campuscode.audit import views

# Read-only on purpose: no route edits or deletes an entry (the admin is read-only too).
app_name = "audit"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("<int:pk>/", views.audit_entry, name="entry"),
    path("export.csv", views.audit_export, {"fmt": "csv"}, name="export_csv"),
    path("export.xlsx", views.audit_export, {"fmt": "xlsx"}, name="export_xlsx"),
]
