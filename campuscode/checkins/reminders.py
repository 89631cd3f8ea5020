"""Reminders to people who have not checked in, N minutes before their window closes.

Idempotent: one Reminder row per person and window (a unique constraint), so the job
may run every few minutes, or twice at once, without anyone getting two messages. The
message goes through notify (in the app and on the person's own channel).
"""

from dataclasses import dataclass
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
    made: list[Reminder] = []
    for school in OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL):
        lead = timedelta(minutes=get_setting("checkin_reminder_minutes", school))
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


@dataclass(frozen=True)
class RemindOutcome:
    sent: int = 0  # reminded now
    earlier: int = 0  # already reminded for this window (by the job or an earlier press)
    open: bool = True  # False: the window is not open, nobody can check in for it now


def remind_missing(
    *,
    actor,
    day,
    period: str,
    unit: OrgUnit | None = None,
    now: datetime | None = None,
    client_ip: str | None = None,
) -> RemindOutcome:
    """一键提醒: remind now everyone in the actor's scope (and unit) who has not checked in
    for a window that is open. One Reminder row per person and window (the unique
    constraint) is the rate limit: a second press, or the scheduled job afterwards,
    never reminds anyone twice for the same window."""
    from campuscode.audit.services import log_action
    from campuscode.checkins.selectors import Show, roll
    from campuscode.checkins.windows import windows_on

    now = now or timezone.now()
    rows = roll(user=actor, day=day, period=period, unit=unit, show=Show.MISSING).all_rows()
    missing = [r.person for r in rows if r.checkin is None and r.excuse is None]
    windows: dict = {}
    due = []
    for person in missing:
        key = (person.school_id, person.kind)
        if key not in windows:
            windows[key] = next(
                (
                    w
                    for w in windows_on(day, kind=person.kind, school_id=person.school_id)
                    if w.period == period
                ),
                None,
            )
        window = windows[key]
        if window is not None and window.start <= now < window.end:
            due.append((person, window))
    if missing and not due:
        return RemindOutcome(open=False)
    made: list[Reminder] = []
    for person, window in due:
        closes = timezone.localtime(window.end).strftime("%H:%M")
        with transaction.atomic():
            reminder, created = Reminder.objects.get_or_create(
                person=person, day=day, period=period, defaults={"closes": closes}
            )
            if created:
                made.append(reminder)
                notify(
                    person=person,
                    kind=Kind.CHECKIN_REMINDER,
                    data={"day": str(day), "period": period, "closes": closes},
                    url=reverse("checkins:mine"),
                    now=now,
                )
    log_action(
        actor=actor,
        client_ip=client_ip,
        action="checkins.reminders.sent",
        data={
            "day": str(day),
            "period": period,
            "unit": unit.pk if unit else None,
            "people": [r.person_id for r in made],
            "count": len(made),
        },
    )
    return RemindOutcome(sent=len(made), earlier=len(due) - len(made))
