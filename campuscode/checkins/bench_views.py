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
