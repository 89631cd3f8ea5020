from django.urls import path

from campuscode.violations import views

app_name = "violations"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("mine/", views.mine, name="mine"),
    path("appeals/", views.appeals, name="appeals"),
    path("report/", views.report, name="report"),
    path("consistency/", views.consistency, name="consistency"),
    path("<int:pk>/", views.case_detail, name="case"),
    path("<int:pk>/letter.pdf", views.letter, name="letter"),
]
