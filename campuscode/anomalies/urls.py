from django.urls import path

from campuscode.anomalies import views

app_name = "anomalies"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("<int:pk>/", views.case_detail, name="case"),
]
