"""Isolation and medical observation (R5.5): placed by the health office with dates, place
and reason. While it lasts the code is red (so gates refuse, both ways), and the person
sends a health report at each of the school's report times. Ending it restores the status
the health rules give."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from campuscode.audit.services import log_action
from campuscode.codes.status import ColourSQL, Status
from campuscode.codes.tokens import Colour
from campuscode.core.rules import get_setting
from campuscode.followup.models import Isolation, IsolationReport
from campuscode.followup.services import Refusal, Result
from campuscode.notify.models import Kind
from campuscode.notify.services import notify
from campuscode.people.access import Cap, covers
from campuscode.people.models import Person

MISSING_LOOKBACK_DAYS = 14  # the dashboard looks this far back for missing reports


def current_isolation(person_id: int, *, today: date | None = None) -> Isolation | None:
    today = today or timezone.localdate()
    return (
        Isolation.objects.filter(person_id=person_id, ended_at__isnull=True, starts_on__lte=today)
        .order_by("-starts_on")
        .first()
    )


def isolated_people(school_id: int) -> set[int]:
    """Everyone `isolation_status` could answer red for (not ended isolations)."""
    return set(
        Isolation.objects.filter(person__school_id=school_id, ended_at__isnull=True).values_list(
            "person_id", flat=True
        )
    )


def isolation_colour_sql(person: str) -> ColourSQL:
    """`isolation_status`'s colour as SQL (codes.status.ColourSQL)."""
    table = connection.ops.quote_name(Isolation._meta.db_table)
    return ColourSQL(
        columns=[
            f"EXISTS (SELECT 1 FROM {table} WHERE person_id = {person}"  # noqa: S608
            " AND ended_at IS NULL AND starts_on <= %s)"
        ],
        params=[connection.ops.adapt_datefield_value(timezone.localdate())],
        colour=lambda isolated: Colour.RED if isolated else None,
    )


def isolation_status(person) -> Status | None:
    """The status provider: red while an isolation has started and is not ended.

    Past its planned last day it stays red until the health office ends it: nobody leaves
    isolation because a date passed unnoticed.
    """
    isolation = current_isolation(person.pk)
    if isolation is None:
        return None
    return Status(
        Colour.RED,
        gettext("Under %(kind)s at %(place)s until %(day)s.")
        % {
            "kind": isolation.get_kind_display(),
            "place": isolation.place,
            "day": isolation.ends_on.isoformat(),
        },
    )


def report_times(school=None) -> list[time]:
    """The report times of the day of `school`, in order (a typed school rule)."""
    return list(get_setting("isolation_report_times", school))


def slot_at(moment: datetime, school=None) -> tuple[date, int]:
    """(day, slot) a report sent at `moment` answers: the last report time passed, or the
    day's first one before it."""
    local = timezone.localtime(moment)
    times = report_times(school)
    slot = 0
    for index, at in enumerate(times):
        if local.time() >= at:
            slot = index
    return local.date(), slot


def place_isolation(
    *,
    person: Person,
    user,
    kind: str,
    place: str,
    reason: str,
    starts_on: date,
    ends_on: date,
    client_ip: str | None = None,
    now: datetime | None = None,
) -> Result:
    now = now or timezone.now()
    if not covers(user, Cap.MANAGE_HEALTH, person):
        return Result(refusal=Refusal.NOT_ALLOWED)
    if ends_on < starts_on:
        return Result(refusal=Refusal.BAD_DATES)
    with transaction.atomic():
        list(Person.objects.select_for_update().filter(pk=person.pk).order_by().values_list("pk"))
        if Isolation.objects.filter(person=person, ended_at__isnull=True).exists():
            return Result(refusal=Refusal.DUPLICATE)
        isolation = Isolation.objects.create(
            person=person,
            kind=kind,
            place=place.strip()[:200],
            reason=reason.strip()[:300],
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=user,
            created_at=now,
        )
        notify(
            person=person,
            kind=Kind.ISOLATION,
            data={"isolation": isolation.pk, "started": True},
            url="/followup/",
            now=now,
        )
    log_action(
        actor=user,
        client_ip=client_ip,
        action="followup.isolation.placed",
        subject=person,
        data={
            "isolation": isolation.pk,
            "kind": kind,
            "place": isolation.place,
            "from": str(starts_on),
            "until": str(ends_on),
        },
    )
    return Result(isolation, created=True)


def end_isolation(*, isolation: Isolation, user, note: str, client_ip: str | None = None) -> Result:
    if not covers(user, Cap.MANAGE_HEALTH, isolation.person):
        return Result(refusal=Refusal.NOT_ALLOWED)
    now = timezone.now()
    with transaction.atomic():
        isolation = Isolation.objects.select_for_update().get(pk=isolation.pk)
        if isolation.ended_at is not None:
            return Result(isolation, refusal=Refusal.NOT_PENDING)
        isolation.ended_at, isolation.ended_by = now, user
        isolation.end_note = note.strip()[:300]
        isolation.save(update_fields=["ended_at", "ended_by", "end_note"])
        notify(
            person=isolation.person,
            kind=Kind.ISOLATION,
            data={"isolation": isolation.pk, "started": False},
            url="/followup/",
            now=now,
        )
    log_action(
        actor=user,
        client_ip=client_ip,
        action="followup.isolation.ended",
        subject=isolation.person,
        data={"isolation": isolation.pk, "note": isolation.end_note},
    )
    return Result(isolation)


def submit_report(
    *,
    person: Person,
    temperature,
    symptoms: list[str],
    note: str = "",
    now: datetime | None = None,
    client_ip: str | None = None,
) -> Result:
    """The person's health report for the current report time; a second one for the same
    time (a retry, a double tap) returns the first."""
    now = now or timezone.now()
    isolation = current_isolation(person.pk, today=timezone.localdate(now))
    if isolation is None:
        return Result(refusal=Refusal.NOT_ALLOWED)
    day, slot = slot_at(now, person.school_id)
    try:
        with transaction.atomic():
            report, created = IsolationReport.objects.get_or_create(
                isolation=isolation,
                day=day,
                slot=slot,
                defaults={
                    "at": now,
                    "temperature": temperature,
                    "symptoms": symptoms,
                    "note": note.strip()[:500],
                },
            )
    except IntegrityError:
        report, created = (
            IsolationReport.objects.get(isolation=isolation, day=day, slot=slot),
            False,
        )
    if created:
        log_action(
            actor=person.user,
            client_ip=client_ip,
            action="followup.isolation.reported",
            subject=person,
            data={"isolation": isolation.pk, "day": str(day), "slot": slot},
        )
    return Result(report, created=created)


@dataclass(frozen=True)
class MissingReport:
    isolation: Isolation
    day: date
    slot: int
    due: datetime


def missing_reports(isolations, *, now: datetime | None = None) -> list[MissingReport]:
    """Report times past their grace period without a report, newest first (dashboard)."""
    now = now or timezone.now()
    tz = timezone.get_default_timezone()
    today = timezone.localdate(now)
    isolations = list(isolations)
    sent = set(
        IsolationReport.objects.filter(isolation__in=isolations).values_list(
            "isolation_id", "day", "slot"
        )
    )
    result = []
    for isolation in isolations:
        school = isolation.person.school_id  # the rules of the person's school
        grace = timedelta(minutes=get_setting("isolation_report_grace_minutes", school))
        times = report_times(school)
        last = today if isolation.ended_at is None else timezone.localdate(isolation.ended_at)
        first = max(isolation.starts_on, today - timedelta(days=MISSING_LOOKBACK_DAYS))
        day = first
        while day <= last:
            for slot, at in enumerate(times):
                due = datetime.combine(day, at, tzinfo=tz)
                if due < isolation.created_at - grace:
                    continue  # before the isolation was placed
                if due + grace <= now and (isolation.pk, day, slot) not in sent:
                    result.append(MissingReport(isolation, day, slot, due))
            day += timedelta(days=1)
    result.sort(key=lambda m: m.due, reverse=True)
    return result


def reports_due_now(person: Person, *, now: datetime | None = None) -> bool:
    """True if the person is isolated and has not yet reported for the current time."""
    now = now or timezone.now()
    isolation = current_isolation(person.pk, today=timezone.localdate(now))
    if isolation is None:
        return False
    day, slot = slot_at(now, person.school_id)
    return not IsolationReport.objects.filter(isolation=isolation, day=day, slot=slot).exists()


ALERT_QUIET_MINUTES = 30  # one alert per person and point in this time, however many tries


def isolation_at_point(person, point, now: datetime):
    """A point check (checkins.honesty.point_checks): a person under isolation or
    observation checking in at a campus point is refused or flagged (the school's
    setting), and the health office over them is alerted at once (issue 9, case 8)."""
    from campuscode.checkins.honesty import Finding
    from campuscode.checkins.models import Flag
    from campuscode.notify.models import Notice
    from campuscode.people.access import holders_over

    isolation = current_isolation(person.pk, today=timezone.localdate(now))
    if isolation is None:
        return None
    refuse = bool(get_setting("checkin_isolated_refuse", person.school_id))
    detail = {
        "isolation": isolation.pk,
        "kind": isolation.kind,
        "place": isolation.place,
        "since": isolation.starts_on.isoformat(),
        "until": isolation.ends_on.isoformat(),
        "refused": refuse,
    }
    recent = Notice.objects.filter(
        kind=Kind.ISOLATED_AT_POINT,
        data__person=person.pk,
        data__point_id=point.pk,
        created_at__gte=now - timedelta(minutes=ALERT_QUIET_MINUTES),
    )
    if not recent.exists():
        full = Person.objects.select_related("org_unit").get(pk=person.pk)
        data = {
            "person": person.pk,
            "name": full.name,
            "number": full.number,
            "point_id": point.pk,
            "point": str(point),
            "time": timezone.localtime(now).strftime("%H:%M"),
            "refused": refuse,
        }
        for user in holders_over(full, Cap.MANAGE_HEALTH):
            notify(
                user=user,
                kind=Kind.ISOLATED_AT_POINT,
                data=data,
                url=f"/followup/isolations/{isolation.pk}/",
                now=now,
            )
    return Finding(reason=Flag.Reason.ISOLATED, detail=detail, refuse=refuse)
