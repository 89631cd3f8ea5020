from django.urls import path

from campuscode.privacy import views

app_name = "privacy"
urlpatterns = [
    path("my-data/", views.my_data, name="my_data"),
    path("my-data/download.xlsx", views.my_data_download, {"fmt": "xlsx"}, name="my_data_xlsx"),
    path("my-data/download.json", views.my_data_download, {"fmt": "json"}, name="my_data_json"),
    path("requests/", views.request_queue, name="requests"),
    path("requests/<int:pk>/", views.handle_request, name="handle"),
    path("register/", views.processing_register, name="register"),
    path("register/register.xlsx", views.processing_register_xlsx, name="register_xlsx"),
]
