from django.urls import path

from campuscode.roster import views

app_name = "roster"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("template.xlsx", views.template_download, name="template"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
    path("<int:pk>/commit/", views.commit, name="commit"),
    path("<int:pk>/discard/", views.discard, name="discard"),
]
