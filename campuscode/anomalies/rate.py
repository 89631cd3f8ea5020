"""Low check-in rate over a rolling window (R6.4): someone who checks in on some days
but misses many windows (every morning, every other day) never has N missed school days
in a row, yet their record is as thin.

The rate is the tally's: check-ins done / check-ins due, where a window counts as due
once it has closed and the person was expected in it (a holiday notice, days before
registration, suspension, an approved advance report and an isolation leave it out)."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.utils import timezone

from campuscode.anomalies.detectors import Hit
from campuscode.anomalies.models import AnomalyCase, AnomalyKind
from campuscode.checkins import tally
from campuscode.checkins.models import Checkin, Period
from campuscode.core.rules import get_setting
from campuscode.people.models import Person


def window_states(
    *, people, first: date, last: date, now: datetime
) -> dict[int, list[tuple[date, str, str]]]:
    """Per person: (day, period, state) for each window from `first` to `last` they were
    expected in, state being tally.State CHECKED, EXCUSED or MISSED (windows still open
    or to come are left out)."""
    changed = tally.changed_people(people, first)
    steady = people.exclude(pk__in=list(changed)) if changed else people
    rows = list(
        tally.with_dates(steady).values_list(
            "pk", "school_id", "kind", "first_day", "valid_until", "state", "changed_day"
        )
    )
    school_ids = sorted({r[1] for r in rows} | {c[0] for c in changed.values()})
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    windows = {
        (day, period): tally.window_groups(day, period, school_ids)
        for day in days
        for period in Period.values
    }
    checked = set(
        Checkin.objects.effective()
        .filter(person__in=people.order_by().values("pk"), day__gte=first, day__lte=last)
        .values_list("person_id", "day", "period")
    )
    excused = tally.excuses(first=first, last=last, people=people.order_by().values("pk"))
    everyone = [(pk, school, kind, dates) for pk, school, kind, *dates in rows]
    everyone += [(pk, c[0], c[1], None) for pk, c in changed.items()]
    result: dict[int, list[tuple[date, str, str]]] = {}
    for pk, school_id, kind, dates in everyone:
        states = []
        for (day, period), groups in windows.items():
            window = groups.get((school_id, kind))
            if window is None:
                continue
            if dates is None:
                _school, _kind, created_day, history = changed[pk]
                expected = tally.expected_by_history(history, created_day, day)
            else:
                first_day, valid_until, state, changed_day = dates
                expected = tally.is_expected(
                    first_day=first_day,
                    valid_until=valid_until,
                    state=state,
                    changed_day=changed_day,
                    day=day,
                )
            if not expected:
                continue
            if (pk, day, period) in checked:
                states.append((day, period, tally.State.CHECKED))
            elif (pk, day, period) in excused:
                states.append((day, period, tally.State.EXCUSED))
            elif window.end <= now:
                states.append((day, period, tally.State.MISSED))
        result[pk] = sorted(states)
    return result


def detect_low_rate(*, school_id: int, now: datetime) -> list[Hit]:
    """People who did fewer than `anomaly_rate_percent` of the check-ins due over the last
    `anomaly_rate_days` days, with at least `anomaly_rate_min_due` due. A person whose
    missed days are already an open case of their own is left to that case."""
    threshold = get_setting("anomaly_rate_percent", school_id)
    span = get_setting("anomaly_rate_days", school_id)
    min_due = get_setting("anomaly_rate_min_due", school_id)
    last = timezone.localdate(now)
    first = last - timedelta(days=span - 1)
    people = Person.objects.filter(school_id=school_id)
    followed = set(
        AnomalyCase.objects.open()
        .filter(person__school_id=school_id, kind=AnomalyKind.MISSED_CHECKINS)
        .filter(last_day__gte=first)
        .values_list("person_id", flat=True)
    )
    hits = []
    for pk, states in window_states(people=people, first=first, last=last, now=now).items():
        if pk in followed:
            continue
        counts: dict[str, int] = defaultdict(int)
        for _day, _period, state in states:
            counts[state] += 1
        done, missed = counts[tally.State.CHECKED], counts[tally.State.MISSED]
        due = done + missed
        if due < min_due or not missed or 100 * done >= threshold * due:
            continue
        missed_windows = [(d, p) for d, p, s in states if s == tally.State.MISSED]
        hits.append(
            Hit(
                pk,
                AnomalyKind.LOW_RATE,
                sorted({d for d, _p in missed_windows}),
                {
                    "rate": round(100 * done / due),
                    "threshold": threshold,
                    "done": done,
                    "due": due,
                    "from": first.isoformat(),
                    "to": last.isoformat(),
                    "missed": [[d.isoformat(), p] for d, p in missed_windows],
                },
            )
        )
    return hits
