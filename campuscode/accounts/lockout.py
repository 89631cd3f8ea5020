"""django-axes at the two-factor prompt.

A password alone gets a session as far as the code prompt. There, a wrong code (from the
app or a backup code) counts as a failed sign-in of the account and of the address, and
while axes has either locked, no code is checked at all: the same lock as for passwords.
"""

import copy

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.http import QueryDict


def _credentials(request) -> dict:
    return {"username": request.user.get_username()}


def mark_locked(request) -> None:
    """Let AxesMiddleware answer with its lock page (with the cool-off), as for sign-in."""
    request.axes_locked_out = True
    request.axes_credentials = _credentials(request)


def is_locked(request) -> bool:
    return not AxesProxyHandler.is_allowed(request, _credentials(request))


def count_failure(request) -> bool:
    """Record one failed code; True when that locked the account or the address."""
    # axes copies the POST data into its attempt log; the copy it gets has no typed code,
    # which could be a mistyped digit away from a live backup code.
    shadow = copy.copy(request)
    shadow.POST = QueryDict()
    user_login_failed.send(sender=__name__, credentials=_credentials(request), request=shadow)
    return bool(getattr(shadow, "axes_locked_out", False))
