"""A short way through the middleware for the gate device API.

Every call of /api/v1/gates/ carries a device token (`Authorization: Bearer gt_...`) and
nothing else: no session cookie, no signed-in user, no form, no page. Sessions, sign-in,
two-factor, idle time-outs, messages, htmx, axes and the in-app notices have nothing to
do for it, yet cost a busy gate about as much as the verification itself (bench/README.md,
"Gates"). Placed after SecurityMiddleware, WhiteNoise, sessions and LocaleMiddleware
(answers keep following the device's Accept-Language), this middleware sends those calls
straight to the view; X-Frame-Options and Content-Length are still set on the way back.
Every other path goes through the whole chain as before.
"""

from django.contrib.auth.models import AnonymousUser
from django.core.handlers.exception import convert_exception_to_response
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.urls import get_resolver

DEVICE_API_PREFIX = "/api/v1/gates/"


class DeviceApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.device_api = XFrameOptionsMiddleware(convert_exception_to_response(self._view))

    def __call__(self, request):
        if request.path_info.startswith(DEVICE_API_PREFIX):
            return self.device_api(request)
        return self.get_response(request)

    @staticmethod
    def _view(request):
        match = get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
        request.resolver_match = match
        request.user = AnonymousUser()  # a device acts by its token, never by a session
        response = match.func(request, *match.args, **match.kwargs)
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        return response
