"""Periodic data checks computed by the system (R7.2), per unit of a plan's scope and a
period: completeness (the check-in rate of checkins.tally), duplicate check-ins,
honesty-flag and manual-registration rates, overdue approvals; and per device (point
screens and gates): silence and tamper alerts, and how long since it was last heard from.

Read-only and recomputed on demand: a row turned into a finding is recomputed on the
server and frozen as the finding's evidence, never taken from the browser."""

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from campuscode.core.rules import get_setting
from campuscode.people.models import OrgUnit, Person

METRICS = ("rate", "duplicates", "flag_rate", "manual_rate", "overdue")
DEVICE_METRICS = ("silent", "tamper", "silent_hours")


@dataclass
class UnitRow:
    unit_id: int
    unit: str
    due: int
    rate: int | None  # per cent of the check-ins due that were done
    duplicates: int  # windows with more than one check-in sent
    checkins: int
    flagged: int
    flag_rate: int | None
    manual: int
    manual_rate: int | None
    overdue: int  # advance reports and make-ups still waiting past their deadline


@dataclass
class DeviceRow:
    key: str  # "screen:12" or "gate:3"
    kind: str  # "screen" or "gate"
    name: str
    campus_id: int
    silent: int  # silence alerts raised in the period
    tamper: int  # tamper alerts raised in the period
    silent_hours: int | None  # since last heard from (active devices); None: never


def _pct(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def _aware(day: date, end: bool = False) -> datetime:
    return timezone.make_aware(
        datetime.combine(day + timedelta(days=1 if end else 0), datetime.min.time())
    )


def unit_row(unit: OrgUnit, first: date, last: date, now: datetime) -> UnitRow:
    from campuscode.checkins.models import Checkin, Flag, Via
    from campuscode.checkins.tally import trend
    from campuscode.followup.models import AdvanceReport, Decision, MakeupRequest

    people = Person.objects.filter(org_unit__path__startswith=unit.path)
    result = trend(people=people, end=last, days=(last - first).days + 1, now=now)
    sent = Checkin.objects.filter(
        person__org_unit__path__startswith=unit.path, day__gte=first, day__lte=last
    )
    duplicates = (
        sent.values("person_id", "day", "period")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by()
        .count()
    )
    effective = sent.filter(superseded_at__isnull=True)
    total = effective.count()
    flagged = Flag.objects.filter(checkin__in=effective).values("checkin_id").distinct().count()
    manual = effective.filter(via__in=[Via.MANUAL, Via.MAKEUP]).count()
    today = timezone.localdate(now)
    # An advance report still undecided a set number of days after its first day (0: on
    # the day it starts); a make-up request undecided longer than a set number of days
    # after it was sent (the window it replaces is long closed). School settings (R7.2).
    report_days = int(get_setting("supervision_overdue_report_days", unit.school_id))
    makeup_days = int(get_setting("supervision_overdue_makeup_days", unit.school_id))
    overdue = (
        AdvanceReport.objects.filter(
            person__org_unit__path__startswith=unit.path,
            state=Decision.PENDING,
            first_day__lte=min(today - timedelta(days=report_days), last),
            first_day__gte=first,
        ).count()
        + MakeupRequest.objects.filter(
            person__org_unit__path__startswith=unit.path,
            state=Decision.PENDING,
            day__gte=first,
            day__lte=last,
            submitted_at__lt=now - timedelta(days=makeup_days),
        ).count()
    )
    return UnitRow(
        unit_id=unit.pk,
        unit=unit.name,
        due=result.due,
        rate=result.rate,
        duplicates=duplicates,
        checkins=total,
        flagged=flagged,
        flag_rate=_pct(flagged, total),
        manual=manual,
        manual_rate=_pct(manual, total),
        overdue=overdue,
    )


def unit_rows(units, first: date, last: date, now: datetime | None = None) -> list[UnitRow]:
    now = now or timezone.now()
    return [unit_row(unit, first, last, now) for unit in units]


def device_rows(units, first: date, last: date, now: datetime | None = None) -> list[DeviceRow]:
    """Point screens and gates on the campuses within (or above) the units."""
    from campuscode.checkins.models import KioskAlert, KioskDisplay
    from campuscode.gates.models import Gate, GateAlert

    now = now or timezone.now()
    start, end = _aware(first), _aware(last, end=True)
    paths = [u.path for u in units]
    campus_q = Q()
    for path in paths:
        campus_q |= Q(path__startswith=path)
    campuses = OrgUnit.objects.filter(kind=OrgUnit.Kind.CAMPUS).filter(
        campus_q | Q(pk__in=[int(p) for path in paths for p in path.strip("/").split("/")])
    )
    in_period = Q(alerts__raised_at__gte=start, alerts__raised_at__lt=end)

    def hours(heard):
        return int((now - heard).total_seconds() // 3600) if heard else None

    rows = []
    screens = (
        KioskDisplay.objects.filter(point__campus__in=campuses)
        .annotate(
            silent=Count("alerts", filter=in_period & Q(alerts__kind=KioskAlert.Kind.SILENT)),
            tamper=Count("alerts", filter=in_period & Q(alerts__kind=KioskAlert.Kind.TAMPER)),
        )
        .select_related("point")
    )
    for s in screens:
        rows.append(
            DeviceRow(
                f"screen:{s.pk}",
                "screen",
                str(s),
                s.point.campus_id,
                s.silent,
                s.tamper,
                None if s.revoked_at else hours(s.last_heartbeat_at),
            )
        )
    gates = (
        Gate.objects.filter(place__campus__in=campuses)
        .annotate(
            silent=Count("alerts", filter=in_period & Q(alerts__kind=GateAlert.Kind.SILENT)),
            tamper=Count("alerts", filter=in_period & Q(alerts__kind=GateAlert.Kind.TAMPER)),
        )
        .select_related("place")
    )
    for g in gates:
        rows.append(
            DeviceRow(
                f"gate:{g.pk}",
                "gate",
                f"{g.place} · {g.name}",
                g.place.campus_id,
                g.silent,
                g.tamper,
                None if g.revoked_at else hours(g.last_heartbeat_at),
            )
        )
    return rows


def as_snapshot(row, first: date, last: date) -> dict:
    return {**asdict(row), "first": first.isoformat(), "last": last.isoformat()}
