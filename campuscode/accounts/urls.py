from django.urls import path

from campuscode.accounts import security_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("claim/", views.claim_start, name="claim"),
    path("claim/code/", views.claim_code, name="claim_code"),
    path("claim/resend/", views.claim_resend, name="claim_resend"),
    path("claim/password/", views.claim_password, name="claim_password"),
    path("otp/", security_views.otp_verify, name="otp_verify"),
    path("security/", security_views.security, name="security"),
    path("security/password/", security_views.password_change, name="password_change"),
    path("security/totp/start/", security_views.totp_start, name="totp_start"),
    path("security/totp/confirm/", security_views.totp_confirm, name="totp_confirm"),
    path("security/totp/disable/", security_views.totp_disable, name="totp_disable"),
    path("security/backup-codes/", security_views.backup_codes, name="backup_codes"),
    path(
        "security/backup-codes/new/",
        security_views.backup_codes_regenerate,
        name="backup_codes_regenerate",
    ),
    path(
        "second-factor/<int:pk>/reset/",
        security_views.second_factor_reset,
        name="second_factor_reset",
    ),
    path(
        "password/<int:pk>/reset/",
        security_views.password_reset,
        name="password_reset",
    ),
    path("outbox/", views.outbox, name="outbox"),
]
