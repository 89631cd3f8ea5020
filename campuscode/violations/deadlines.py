"""Due-process deadlines (R8.2), each from a school setting."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from campuscode.checkins.models import WindowNotice


def add_working_days(start: datetime, days: int, *, school_id: int) -> datetime:
    """`start` moved on by `days` working days: Monday to Friday, leaving out the dates the
    school declared free of check-ins (holidays, by its check-in notices). The deadline is
    the end of that day in the school's time zone."""
    free = WindowNotice.objects.filter(
        school_id=school_id,
        kind=WindowNotice.Kind.NO_CHECKIN,
        last_day__gte=timezone.localdate(start),
    ).values_list("first_day", "last_day")
    free = list(free)

    def is_working(day: date) -> bool:
        return day.weekday() < 5 and not any(a <= day <= b for a, b in free)

    day, left = timezone.localdate(start), days
    while left > 0:
        day += timedelta(days=1)
        if is_working(day):
            left -= 1
    return end_of(day)


def end_of(day: date) -> datetime:
    """23:59:59 of `day` in the school's time zone: a deadline is a whole day."""
    return timezone.make_aware(datetime.combine(day, datetime.max.time().replace(microsecond=0)))


def days_later(start: datetime, days: int) -> datetime:
    return end_of(timezone.localdate(start) + timedelta(days=days))
