import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from campuscode.accounts.selectors import SIGNED_IN_AT


@receiver(user_logged_in, dispatch_uid="campuscode.accounts.signed_in_at")
def remember_sign_in_time(sender, request, user, **kwargs):
    """An administrator's two-factor reset ends the sessions signed in before it."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = time.time()
