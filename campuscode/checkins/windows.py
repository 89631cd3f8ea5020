"""The check-in windows of a day (R4.1): school settings per person kind, changed for some
dates by a school notice (a holiday with no check-in, an exam day with other times).

All times are in the school's time zone (settings.TIME_ZONE).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from campuscode.checkins.models import Period, WindowNotice
from campuscode.checkins.rules import setting as get_setting
from campuscode.people.models import Person

SEARCH_DAYS = 31  # how far ahead "the next window opens ..." looks


@dataclass(frozen=True)
class Window:
    day: date
    period: str
    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def label(self) -> str:
        return str(Period(self.period).label)


def kind_group(kind: str) -> str:
    if kind == Person.Kind.STUDENT:
        return "student"
    if kind == Person.Kind.STAFF:
        return "staff"
    return "other"


def _notices(school_id: int, first: date, last: date) -> list[WindowNotice]:
    return list(
        WindowNotice.objects.filter(
            school_id=school_id, first_day__lte=last, last_day__gte=first
        ).order_by("created_at")
    )


def windows_on(
    day: date, *, kind: str, school_id: int, notices: list[WindowNotice] | None = None
) -> list[Window]:
    """The windows of `day` for people of `kind`, in time order (none on a holiday)."""
    if notices is None:
        from campuscode.checkins.cached import notices_on

        notices = notices_on(school_id, day)
    notice = None
    for candidate in notices:  # the newest notice covering the day wins
        if candidate.first_day <= day <= candidate.last_day:
            notice = candidate
    group = kind_group(kind)
    result = []
    for period in Period.values:
        if notice is not None and notice.kind == WindowNotice.Kind.NO_CHECKIN:
            continue
        if notice is not None:
            bounds = getattr(notice, f"{period}_range")
        else:
            bounds = get_setting(f"checkin_{period}_{group}", school_id)
        if bounds is None:
            continue
        tz = timezone.get_default_timezone()
        result.append(
            Window(
                day,
                period,
                datetime.combine(day, bounds[0], tzinfo=tz),
                datetime.combine(day, bounds[1], tzinfo=tz),
            )
        )
    return result


def window_at(moment: datetime, *, kind: str, school_id: int) -> Window | None:
    day = timezone.localtime(moment).date()
    for window in windows_on(day, kind=kind, school_id=school_id):
        if window.contains(moment):
            return window
    return None


def next_window(moment: datetime, *, kind: str, school_id: int) -> Window | None:
    """The first window that opens after `moment`, or None within SEARCH_DAYS."""
    first = timezone.localtime(moment).date()
    last = first + timedelta(days=SEARCH_DAYS)
    notices = _notices(school_id, first, last)
    day = first
    while day <= last:
        for window in windows_on(day, kind=kind, school_id=school_id, notices=notices):
            if window.start > moment:
                return window
        day += timedelta(days=1)
    return None


def current_or_last_window(moment: datetime, *, kind: str, school_id: int) -> Window | None:
    """The window open now, else today's last one that has opened (for the lists)."""
    day = timezone.localtime(moment).date()
    opened = [w for w in windows_on(day, kind=kind, school_id=school_id) if w.start <= moment]
    return opened[-1] if opened else None
