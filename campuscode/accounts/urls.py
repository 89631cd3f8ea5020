from django.urls import path

from campuscode.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("claim/", views.claim_start, name="claim"),
    path("claim/code/", views.claim_code, name="claim_code"),
    path("claim/resend/", views.claim_resend, name="claim_resend"),
    path("claim/password/", views.claim_password, name="claim_password"),
    path("otp/", views.otp_verify, name="otp_verify"),
    path("security/", views.security, name="security"),
    path("security/password/", views.password_change, name="password_change"),
    path("security/totp/start/", views.totp_start, name="totp_start"),
    path("security/totp/confirm/", views.totp_confirm, name="totp_confirm"),
    path("security/totp/disable/", views.totp_disable, name="totp_disable"),
    path("outbox/", views.outbox, name="outbox"),
]
