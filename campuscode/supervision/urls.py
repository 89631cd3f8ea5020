from django.urls import path

from campuscode.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.home, name="home"),
    path("ledger.xlsx", views.ledger_xlsx, name="ledger_xlsx"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("findings/new/", views.finding_new, name="finding_new"),
    path("findings/<int:pk>/issue/", views.finding_issue, name="finding_issue"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/letter.pdf", views.notice_pdf, name="notice_pdf"),
    # supervision2: computed data checks, on-site point inspections
    path("checks/", views.data_checks, name="checks"),
    path(
        "plans/<int:pk>/<str:kind>/<int:target>/inspect/",
        views.point_inspect,
        name="point_inspect",
    ),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection"),
    path("photos/<int:pk>/", views.inspection_photo, name="photo"),
]
