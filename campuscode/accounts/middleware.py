import time
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from campuscode.accounts.selectors import Step, second_factor_step
from campuscode.core.rules import get_setting
from campuscode.people.access import reads_others

LAST_SEEN = "campuscode.last_seen"
IDLE_SIGNED_OUT = "campuscode.idle_signed_out"
BACKGROUND_HEADER = "X-Background-Poll"  # hx-headers='{"X-Background-Poll": "1"}'


def _send_to(request, url_name: str):
    url = f"{reverse(url_name)}?{urlencode({'next': request.path})}"
    if request.headers.get("HX-Request"):
        # An htmx swap would put the sign-in form inside a panel; move the whole page.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


class IdleTimeoutMiddleware:
    """End the sessions of roles that can see other people's data after idle minutes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and reads_others(request.user):
            now = time.time()
            last = request.session.get(LAST_SEEN)
            if last is not None and now - last > get_setting("session_idle_minutes") * 60:
                logout(request)
                # MessageMiddleware runs after this one, so the sign-in page shows the
                # notice from a flag in the new session.
                request.session[IDLE_SIGNED_OUT] = True
                return _send_to(request, "accounts:login")
            # A page that polls by itself (htmx "every 30s") sends this header, so an
            # open page left on a desk does not keep the session alive for ever.
            if not request.headers.get(BACKGROUND_HEADER):
                request.session[LAST_SEEN] = now
        return self.get_response(request)


class RequireOTPMiddleware:
    """An account with a confirmed TOTP device must pass it before using any page; after an
    administrator's reset it must set the app up again first.

    Only the pages needed to get through (or out of) sign-in are open before that; the
    account security page is not, or a stolen password alone could change the password.
    """

    ALLOWED_PREFIXES = (
        "/accounts/login/",
        "/accounts/logout/",
        "/accounts/otp/",
        "/accounts/claim/",
        "/accounts/outbox/",
        "/i18n/",
        "/static/",
        "/api/",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            step = second_factor_step(request)
            if step == Step.CODE:
                return _send_to(request, "accounts:otp_verify")
            if step == Step.SIGN_IN_AGAIN:  # signed in before an administrator's reset
                logout(request)
                return _send_to(request, "accounts:login")
            if step == Step.ENROL and not request.path.startswith("/accounts/security/"):
                return _send_to(request, "accounts:security")
        return self.get_response(request)
