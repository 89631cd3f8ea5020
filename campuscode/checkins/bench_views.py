"""Only for bench/checkin_throughput.py (CAMPUSCODE_BENCH_CEILING=1): the ceiling."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST


@login_required
@require_POST
def ceiling(request):
    """Session, auth, CSRF and middleware as for a check-in, then one INSERT."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_ceiling (user_id, at, key) VALUES (%s, %s, %s)",
            [request.user.pk, timezone.now(), request.POST.get("key", "")],
        )
    return HttpResponse(status=204)


def _without_followup_hook() -> None:  # pragma: no cover
    """bench --without-followup-hook: measure the check-in without followup's post_save
    receiver (it opens follow-up cases), to tell its share of the cost from ours."""
    import os

    if os.environ.get("CAMPUSCODE_BENCH_NO_FOLLOWUP_HOOK") != "1":
        return
    from django.db.models.signals import post_save

    from campuscode.checkins.models import Checkin

    post_save.disconnect(sender=Checkin, dispatch_uid="followup.cases.checkin")


_without_followup_hook()
