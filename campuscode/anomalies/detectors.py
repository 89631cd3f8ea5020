"""The detectors of anomaly cases (R6.4). Each returns hits; services.open_or_extend makes
them cases. Thresholds are school rules (core.rules, prefix `anomaly_`).

Who was expected on which day, and whether a missing check-in was excused (an approved
advance report, an isolation) is checkins.tally's rule, used here as the lists use it:
a day without windows (a holiday notice) is no school day, days before a person was
registered or while suspended are not counted."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from campuscode.anomalies.models import AnomalyKind
from campuscode.checkins import tally
from campuscode.checkins.models import Checkin, Contact, Period
from campuscode.core.rules import get_setting
from campuscode.people.models import Person


@dataclass
class Hit:
    person_id: int
    kind: str
    days: list[date]  # the days of the evidence, oldest first
    detail: dict = field(default_factory=dict)

    @property
    def first_day(self) -> date:
        return self.days[0]

    @property
    def last_day(self) -> date:
        return self.days[-1]


class DayState:
    CHECKED = "checked"
    EXCUSED = "excused"
    MISSED = "missed"


def school_days(
    *, people, first: date, last: date, now: datetime
) -> dict[int, list[tuple[date, str]]]:
    """Per person: each school day from `first` to `last` on which they were expected, and
    how it came out: checked (a check-in in any window), excused (no check-in, a window
    excused), or missed (every window closed without either). Days still open are left
    out, as are days the person was not expected (holidays, not yet registered)."""
    changed = tally.changed_people(people, first)
    steady = people.exclude(pk__in=list(changed)) if changed else people
    rows = list(
        tally.with_dates(steady).values_list(
            "pk", "school_id", "kind", "first_day", "valid_until", "state", "changed_day"
        )
    )
    school_ids = sorted({r[1] for r in rows} | {c[0] for c in changed.values()})
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    windows: dict[date, dict[tuple[int, str], list]] = {}
    for day in days:
        windows[day] = defaultdict(list)
        for period in Period.values:
            for key, window in tally.window_groups(day, period, school_ids).items():
                windows[day][key].append(window)
    checked = set(
        Checkin.objects.effective()
        .filter(person__in=people.order_by().values("pk"), day__gte=first, day__lte=last)
        .order_by()
        .values_list("person_id", "day")
    )
    excused = tally.excuses(first=first, last=last, people=people.order_by().values("pk"))

    def expected_on(pk, dates, day):
        if pk in changed:
            _school, _kind, created_day, history = changed[pk]
            return tally.expected_by_history(history, created_day, day)
        first_day, valid_until, state, changed_day = dates
        return tally.is_expected(
            first_day=first_day,
            valid_until=valid_until,
            state=state,
            changed_day=changed_day,
            day=day,
        )

    people_rows = [(pk, school, kind, dates) for pk, school, kind, *dates in rows]
    people_rows += [(pk, c[0], c[1], None) for pk, c in changed.items()]
    result: dict[int, list[tuple[date, str]]] = {}
    for pk, school_id, kind, dates in people_rows:
        seen = []
        for day in days:
            day_windows = windows[day].get((school_id, kind))
            if not day_windows or not expected_on(pk, dates, day):
                continue
            if (pk, day) in checked:
                seen.append((day, DayState.CHECKED))
            elif any((pk, day, w.period) in excused for w in day_windows):
                seen.append((day, DayState.EXCUSED))
            elif all(w.end <= now for w in day_windows):
                seen.append((day, DayState.MISSED))
        result[pk] = seen
    return result


def missed_runs(states: list[tuple[date, str]], n: int) -> list[list[date]]:
    """The runs of at least `n` missed school days in a row (a checked or excused day ends
    a run; days that were no school day for the person do not)."""
    runs, current = [], []
    for day, state in states:
        if state == DayState.MISSED:
            current.append(day)
            continue
        if len(current) >= n:
            runs.append(current)
        current = []
    if len(current) >= n:
        runs.append(current)
    return runs


def could_miss(people, *, first: date, last: date, n: int) -> list[int]:
    """The people of `people` who may have `n` school days from `first` to `last` without
    a check-in: only they can have a run of `n` missed days. A bound, not the answer:
    school_days decides exactly for them.

    Why (bench/bigschool.py, 50,000 people): school_days reads every (person, day) of the
    range into Python, two million rows for 21 days, ~35 s. This is one grouped count
    over the range instead. It never drops a hit: a person has at most one effective
    check-in per window (a constraint), so `rows` check-ins on school days of their kind
    cover at least rows / windows-per-day of those days; whoever checked in on more than
    (school days - n) of them cannot miss n. Excused, still open or not-expected days only
    make fewer missed days."""
    school_ids = sorted(set(people.order_by().values_list("school_id", flat=True).distinct()))
    window_days: dict[tuple[int, str], set[date]] = defaultdict(set)
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        for period in Period.values:
            for key in tally.window_groups(day, period, school_ids):
                window_days[key].add(day)
    groups: dict[frozenset[date], list[tuple[int, str]]] = defaultdict(list)
    for key, days in window_days.items():
        if len(days) >= n:
            groups[frozenset(days)].append(key)
    found: list[int] = []
    for days, keys in groups.items():
        safe = (
            Checkin.objects.effective()
            # The range is the index condition; the list keeps the school days only.
            .filter(day__gte=min(days), day__lte=max(days), day__in=sorted(days))
            .values("person_id")
            .annotate(rows=Count("*"))
            .filter(rows__gt=len(Period.values) * (len(days) - n))
            .values("person_id")
        )
        found += (
            people.filter(tally.groups_q(keys)).exclude(pk__in=safe).values_list("pk", flat=True)
        )
    return found


def detect_missed_checkins(*, school_id: int, now: datetime) -> list[Hit]:
    n = get_setting("anomaly_missed_days", school_id)
    lookback = get_setting("anomaly_lookback_days", school_id)
    last = timezone.localdate(now)
    first = last - timedelta(days=lookback - 1)
    everyone = Person.objects.filter(school_id=school_id)
    people = Person.objects.filter(pk__in=could_miss(everyone, first=first, last=last, n=n))
    hits = []
    for pk, states in school_days(people=people, first=first, last=last, now=now).items():
        for run in missed_runs(states, n):
            hits.append(
                Hit(pk, AnomalyKind.MISSED_CHECKINS, run, {"days": [d.isoformat() for d in run]})
            )
    return hits


def detect_health(*, school_id: int, now: datetime) -> list[Hit]:
    """Check-ins of the last days with a temperature from the yellow-code temperature up,
    a symptom, or a contact with a (suspected) case within the contact days."""
    fever = Decimal(str(get_setting("health_yellow_temperature", school_id)))
    contact_days = get_setting("anomaly_contact_days", school_id)
    last = timezone.localdate(now)
    first = last - timedelta(days=get_setting("anomaly_health_days", school_id) - 1)
    rows = (
        Checkin.objects.effective()
        .filter(person__school_id=school_id, day__gte=first, day__lte=last)
        .order_by("person_id", "day", "at")
        .values_list(
            "pk", "person_id", "day", "period", "temperature", "symptoms", "contact", "contact_at"
        )
    )
    found: dict[int, list[dict]] = defaultdict(list)
    for pk, person_id, day, period, temperature, symptoms, contact, contact_at in rows:
        reasons = []
        if temperature is not None and temperature >= fever:
            reasons.append("fever")
        if symptoms:
            reasons.append("symptoms")
        recent = contact_at is None or (day - timezone.localdate(contact_at)).days < contact_days
        if contact and contact != Contact.NONE and recent:
            reasons.append("contact")
        if reasons:
            found[person_id].append(
                {
                    "checkin": pk,
                    "day": day.isoformat(),
                    "period": period,
                    "temperature": str(temperature),
                    "symptoms": list(symptoms or []),
                    "contact": contact if "contact" in reasons else "",
                    "reasons": reasons,
                }
            )
    return [
        Hit(
            person_id,
            AnomalyKind.HEALTH,
            sorted({date.fromisoformat(e["day"]) for e in evidence}),
            {"checkins": evidence},
        )
        for person_id, evidence in found.items()
    ]


DETECTORS = [detect_missed_checkins, detect_health]
