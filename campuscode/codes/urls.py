from django.urls import path

from campuscode.codes import views

app_name = "codes"
urlpatterns = [
    path("", views.my_code, name="my_code"),
    path("panel/", views.my_code_panel, name="panel"),
]
