import time

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from campuscode.core.rules import get_setting
from campuscode.people.scopes import can_see_others

LAST_SEEN = "campuscode.last_seen"


class IdleTimeoutMiddleware:
    """End the sessions of roles that can see other people's data after idle minutes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and can_see_others(request.user):
            now = time.time()
            last = request.session.get(LAST_SEEN)
            if last is not None and now - last > get_setting("session_idle_minutes") * 60:
                logout(request)
                messages.info(request, _("You were signed out after a period of inactivity."))
                return redirect(f"{reverse('accounts:login')}?next={request.path}")
            request.session[LAST_SEEN] = now
        return self.get_response(request)


class RequireOTPMiddleware:
    """An account with a confirmed TOTP device must pass it before using any page."""

    ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and _has_confirmed_device(user)
        ):
            return redirect(f"{reverse('accounts:otp_verify')}?next={request.path}")
        return self.get_response(request)


def _has_confirmed_device(user) -> bool:
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)
