from django.urls import path

from campuscode.backups import views

app_name = "backups"
urlpatterns = [
    path("", views.status, name="status"),
    path("progress/", views.progress, name="progress"),
    path("run/", views.run, name="run"),
]
