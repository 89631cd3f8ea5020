"""Points and date notices through the shared cache (Redis in production).

Every check-in reads its point and the day's notices; both change rarely, so a cache
read replaces two SQL queries. A save or delete drops the entries at once (signals in
apps.py); the timeout bounds anything a signal could miss, such as a bulk update.
"""

from datetime import date, timedelta

from django.core.cache import cache

from campuscode.checkins.models import CampusNetwork, CheckinPoint, WindowNotice

TIMEOUT = 60
MAX_NOTICE_DAYS = 400  # a notice longer than this is not cached day by day


def _point_key(point_id: int) -> str:
    return f"checkins.point.{point_id}"


def _notices_key(school_id: int, day: date) -> str:
    return f"checkins.notices.{school_id}.{day.isoformat()}"


def point(point_id: int) -> CheckinPoint | None:
    key = _point_key(point_id)
    found = cache.get(key)
    if found is None:
        found = CheckinPoint.objects.select_related("campus").filter(pk=point_id).first()
        if found is not None:
            # The campus's own networks travel with the point: every check-in reads them
            # (checkins.evidence), and saving them forgets the campus's points.
            found.campus_networks = tuple(
                CampusNetwork.objects.filter(campus_id=found.campus_id)
                .order_by("network")
                .values_list("network", flat=True)
            )
            cache.set(key, found, TIMEOUT)
    return found


def notices_on(school_id: int, day: date) -> list[WindowNotice]:
    key = _notices_key(school_id, day)
    found = cache.get(key)
    if found is None:
        found = list(
            WindowNotice.objects.filter(
                school_id=school_id, first_day__lte=day, last_day__gte=day
            ).order_by("created_at")
        )
        cache.set(key, found, TIMEOUT)
    return found


def forget_point(sender, instance: CheckinPoint, **kwargs) -> None:
    cache.delete(_point_key(instance.pk))


def forget_points_of_campus(campus_id: int) -> None:
    ids = CheckinPoint.objects.filter(campus_id=campus_id).values_list("pk", flat=True)
    cache.delete_many([_point_key(pk) for pk in ids])


def forget_notice(sender, instance: WindowNotice, **kwargs) -> None:
    days = (instance.last_day - instance.first_day).days + 1
    keys = [
        _notices_key(instance.school_id, instance.first_day + timedelta(days=n))
        for n in range(min(max(days, 1), MAX_NOTICE_DAYS))
    ]
    cache.delete_many(keys)
