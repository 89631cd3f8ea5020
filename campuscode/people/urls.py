from django.urls import path

from campuscode.people import views

app_name = "people"
urlpatterns = [
    path("", views.people_list, name="list"),
    path("export.xlsx", views.people_export, name="export"),
    path("new/", views.person_create, name="create"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/reveal/", views.person_reveal, name="reveal"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/account/", views.person_create_account, name="create_account"),
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/<int:pk>/", views.account_detail, name="account"),
    path("accounts/<int:pk>/grant/", views.account_grant, name="grant"),
    path(
        "accounts/<int:pk>/roles/<int:assignment_pk>/revoke/",
        views.account_revoke,
        name="revoke",
    ),
    path("accounts/<int:pk>/active/", views.account_set_active, name="set_active"),
]
