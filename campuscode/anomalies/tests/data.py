"""Realistic check-in histories for the anomaly tests: people type a slightly different
temperature and check in at a different minute each day (a script does neither)."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from campuscode.checkins.models import Checkin

READINGS = ("36.4", "36.6", "36.5", "36.7", "36.3", "36.5", "36.8", "36.6", "36.4")
HOURS = {"morning": 8, "afternoon": 13}


def check_in(
    person,
    point,
    day: date,
    *,
    period: str = "morning",
    temperature=None,
    symptoms=(),
    contact: str = "none",
    contact_at: datetime | None = None,
    at: time | None = None,
    device: str = "",
    device_new: bool = False,
    via: str = "screen",
) -> Checkin:
    n = day.toordinal() * 2 + (period == "afternoon")
    if temperature is None:
        temperature = READINGS[(n + person.pk) % len(READINGS)]
    if at is None:  # a different minute and second each time, within the window
        moment = datetime.combine(day, time(HOURS[period])) + timedelta(seconds=n * 617 % 3600)
    else:
        moment = datetime.combine(day, at)
    return Checkin.objects.create(
        person=person,
        point=point,
        at=timezone.make_aware(moment),
        day=day,
        period=period,
        temperature=temperature,
        symptoms=list(symptoms),
        contact=contact,
        contact_at=contact_at,
        colour="green",
        reason="normal",
        via=via,
        device=device,
        device_new=device_new,
        idempotency_key=f"a{person.pk}-{day}-{period}",
    )


def days_back(last: date, n: int) -> list[date]:
    """The n days up to `last`, oldest first."""
    return [last - timedelta(days=k) for k in range(n - 1, -1, -1)]
