"""Reminders to people who have not checked in, N minutes before their window closes.

Idempotent: one Reminder row per person and window (a unique constraint), so the job
may run every few minutes, or twice at once, without anyone getting two messages. The
message goes through notify (in the app and on the person's own channel).
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.checkins.models import Checkin, Reminder
from campuscode.checkins.windows import window_at
from campuscode.core.rules import get_setting
from campuscode.notify.models import Kind
from campuscode.notify.services import notify
from campuscode.people.models import OrgUnit, Person


def reminder_text(data: dict) -> str:
    from campuscode.checkins.models import Period

    return _(
        "You have not checked in for the %(period)s window of %(day)s yet; it closes at %(closes)s."
    ) % {"period": Period(data["period"]).label, "day": data["day"], "closes": data["closes"]}


def send_reminders(*, now: datetime | None = None) -> int:
    """Remind everyone due; returns how many reminders were made."""
    now = now or timezone.now()
    lead = timedelta(minutes=get_setting("checkin_reminder_minutes"))
    made: list[Reminder] = []
    for school in OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL):
        for kind in Person.Kind.values:
            window = window_at(now, kind=kind, school_id=school.pk)
            if window is None or window.end - now > lead:
                continue
            done = Checkin.objects.filter(day=window.day, period=window.period).values("person_id")
            reminded = Reminder.objects.filter(day=window.day, period=window.period).values(
                "person_id"
            )
            due = (
                Person.objects.active()
                .filter(school=school, kind=kind)
                .exclude(pk__in=done)
                .exclude(pk__in=reminded)
            )
            closes = timezone.localtime(window.end).strftime("%H:%M")
            due = [p for p in due if p.is_valid_on(window.day)]
            excused = _excused(window, [p.pk for p in due])
            for person in due:
                if person.pk in excused:  # an approved advance report (R4.2)
                    continue
                try:
                    with transaction.atomic():
                        made.append(
                            Reminder.objects.create(
                                person=person, day=window.day, period=window.period, closes=closes
                            )
                        )
                        notify(
                            person=person,
                            kind=Kind.CHECKIN_REMINDER,
                            data={
                                "day": str(window.day),
                                "period": window.period,
                                "closes": closes,
                            },
                            url=reverse("checkins:mine"),
                            now=now,
                        )
                except IntegrityError:  # another run reminded this person just now
                    continue
    return len(made)


def _excused(window, person_ids: list[int]) -> set[int]:
    from campuscode.checkins.selectors import excuse_providers

    excused: set[int] = set()
    for provider in excuse_providers if person_ids else ():
        excused.update(provider(window.day, window.period, person_ids))
    return excused
