from django.urls import path

from campuscode.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("settings/", views.school_settings, name="settings"),
]
