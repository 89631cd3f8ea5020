from django.urls import path

from campuscode.followup import views, views_staff

app_name = "followup"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("report/", views.report_new, name="report_new"),
    path("report/<int:pk>/back/", views.report_back, name="report_back"),
    path("report/<int:pk>/attachment/", views.report_attachment, name="report_attachment"),
    path("makeup/", views.makeup_new, name="makeup_new"),
    path("withdraw/<str:kind>/<int:pk>/", views.withdraw, name="withdraw"),
    path("isolation/report/", views.isolation_report, name="isolation_report"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/state/", views.case_state, name="case_state"),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("queue/", views_staff.queue, name="queue"),
    path("manual/", views_staff.manual, name="manual"),
    path("dashboard/", views_staff.dashboard, name="dashboard"),
    path("isolations/<int:pk>/", views_staff.isolation_detail, name="isolation"),
    path("visitors/", views_staff.visitors_list, name="visitors"),
    path("visitors/<int:pk>/", views_staff.visitor_detail, name="visitor"),
]
