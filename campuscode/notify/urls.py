from django.urls import path

from campuscode.notify import views

app_name = "notify"

urlpatterns = [
    path("settings/", views.preferences, name="preferences"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/<int:pk>/again/", views.send_again, name="send_again"),
]
