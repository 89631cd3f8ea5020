"""Data-quality signals that suggest check-ins were automated or done for someone else
(R1.2, R6.4). Each is a question for the adviser, never a verdict: the same temperature
every day may be a lazy thermometer habit, one phone for several people a borrowed phone.

Over the last `anomaly_quality_days` days, from the check-ins people made themselves
(manual registrations and make-ups are typed by staff and left out):
- same answers: the same temperature, symptoms and contact in at least
  `anomaly_same_share` per cent of them (else: the same temperature alone);
- even random temperatures: spread as evenly over a range as a random-number generator
  spreads them, rather than clustered around the person's usual value (a likelihood
  ratio of the two explanations, per check-in; see `uniform_score`);
- the same second: at least `anomaly_same_time_days` check-ins of one window sent within
  `anomaly_same_time_seconds` seconds of the same time of day (a scheduled script);
- one phone for many people: an established device cookie (checkins.honesty) that sent
  check-ins for at least `anomaly_device_people` people;
- honesty flags: at least `anomaly_flagged_checkins` of the person's check-ins carry an
  unexplained flag that points at someone else's phone or a form never opened.
"""

import math
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from campuscode.anomalies.detectors import Hit
from campuscode.anomalies.models import AnomalyKind
from campuscode.checkins.models import Checkin, Flag, Via
from campuscode.core.rules import get_setting

# The flags that say "not this person, not by hand" (the others are about presence).
AUTOMATION_FLAGS = (
    Flag.Reason.SHARED_DEVICE,
    Flag.Reason.ADDRESS_BURST,
    Flag.Reason.NOT_OPENED,
    Flag.Reason.FORM_MOVED,
)
# An even spread needs a range to spread over: 7 values is 0.6 °C. Narrower, a person's
# readings piled between a few values can look flat by chance.
MIN_UNIFORM_VALUES = 7


def uniform_score(temperatures: list[Decimal]) -> float:
    """How much better, per check-in (in nats), an even spread over the observed range
    explains the temperatures than a normal spread around their mean does. Over 40 to 56
    readings about half the scripts drawing evenly from a range score 0.1 or more, fewer
    than 1 in 300 people whose readings vary normally around their own value (and none
    whose readings cluster, as typed values do): tests/test_quality.py simulates it."""
    tenths = [round(t * 10) for t in temperatures]
    n = len(tenths)
    span = max(tenths) - min(tenths) + 1
    mean = statistics.fmean(tenths)
    spread = max(statistics.pstdev(tenths), 0.5)
    normal = statistics.NormalDist(mean, spread)
    log_normal = sum(
        math.log(max(normal.cdf(x + 0.5) - normal.cdf(x - 0.5), 1e-12)) for x in tenths
    )
    log_uniform = -n * math.log(span)
    return (log_uniform - log_normal) / n


def _densest(seconds: list[int], width: int) -> list[int]:
    """The largest group of times of day (in seconds) within `width` seconds of each
    other, around midnight too."""
    ordered = sorted(seconds)
    doubled = ordered + [s + 86400 for s in ordered]
    best: list[int] = []
    start = 0
    for end in range(len(doubled)):
        while doubled[end] - doubled[start] > width:
            start += 1
        if end - start + 1 > len(best) and end - start + 1 <= len(ordered):
            best = doubled[start : end + 1]
    return [s % 86400 for s in best]


def detect_quality(*, school_id: int, now: datetime) -> list[Hit]:
    last = timezone.localdate(now)
    first = last - timedelta(days=get_setting("anomaly_quality_days", school_id) - 1)
    min_checkins = get_setting("anomaly_quality_min_checkins", school_id)
    same_share = get_setting("anomaly_same_share", school_id)
    uniform_needed = get_setting("anomaly_uniform_min_checkins", school_id)
    uniform_strength = get_setting("anomaly_uniform_strength", school_id) / 100
    time_days = get_setting("anomaly_same_time_days", school_id)
    time_width = get_setting("anomaly_same_time_seconds", school_id)
    device_people = get_setting("anomaly_device_people", school_id)
    flagged_needed = get_setting("anomaly_flagged_checkins", school_id)

    rows = (
        Checkin.objects.effective()
        .filter(person__school_id=school_id, day__gte=first, day__lte=last)
        .exclude(via__in=[Via.MANUAL, Via.MAKEUP])
        .order_by("person_id", "day", "period")
        .values_list(
            "pk",
            "person_id",
            "day",
            "period",
            "at",
            "temperature",
            "symptoms",
            "symptom_detail",
            "contact",
            "device",
            "device_new",
        )
    )
    by_person: dict[int, list[tuple]] = defaultdict(list)
    phones: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        person_id, device, new = row[1], row[9], row[10]
        by_person[person_id].append(row)
        if device and not new:
            # Only an established cookie is one phone for sure: fingerprints of one
            # phone model collide (roommates with the same phone), see checkins.honesty.
            phones[device].add(person_id)
    flagged = Counter(
        person_id
        for _checkin, person_id in Flag.objects.filter(
            checkin__person__school_id=school_id,
            checkin__day__gte=first,
            checkin__day__lte=last,
            checkin__superseded_at__isnull=True,
            reason__in=AUTOMATION_FLAGS,
            explained_at__isnull=True,
        )
        .values_list("checkin_id", "checkin__person_id")
        .distinct()
    )

    hits = []
    for person_id, checkins in by_person.items():
        signals: dict[str, dict] = {}
        n = len(checkins)
        temperatures = [c[5] for c in checkins]
        if n >= min_checkins:
            answers = Counter(
                (str(c[5]), tuple(sorted(c[6] or [])), c[7].strip(), c[8]) for c in checkins
            )
            (answer, times) = answers.most_common(1)[0]
            top_temperature, top_times = Counter(str(t) for t in temperatures).most_common(1)[0]
            if 100 * times >= same_share * n:
                signals["same_answers"] = {"n": n, "same": times, "temperature": answer[0]}
            elif 100 * top_times >= same_share * n:
                signals["same_temperature"] = {
                    "n": n,
                    "same": top_times,
                    "temperature": top_temperature,
                }
            by_period: dict[str, list[int]] = defaultdict(list)
            for c in checkins:
                local = timezone.localtime(c[4])
                by_period[c[3]].append(local.hour * 3600 + local.minute * 60 + local.second)
            for period, seconds in sorted(by_period.items()):
                group = _densest(seconds, time_width)
                if len(group) >= time_days:
                    middle = sorted(group)[len(group) // 2]
                    signals["same_second"] = {
                        "period": period,
                        "days": len(group),
                        "n": len(seconds),
                        "time": f"{middle // 3600:02d}:{middle // 60 % 60:02d}:{middle % 60:02d}",
                    }
                    break
        distinct = len(set(temperatures))
        if n >= uniform_needed and distinct >= MIN_UNIFORM_VALUES:
            score = uniform_score(temperatures)
            if score >= uniform_strength:
                signals["uniform_temperature"] = {
                    "n": n,
                    "low": str(min(temperatures)),
                    "high": str(max(temperatures)),
                    "values": distinct,
                    "score": round(score, 3),
                }
        shared = [
            len(phones[device])
            for device in {c[9] for c in checkins if c[9] and not c[10]}
            if len(phones[device]) >= device_people
        ]
        if shared:
            signals["shared_phone"] = {"people": max(shared)}
        if flagged[person_id] >= flagged_needed:
            signals["flagged"] = {"checkins": flagged[person_id], "n": n}
        if signals:
            days = sorted({c[2] for c in checkins})
            hits.append(
                Hit(
                    person_id,
                    AnomalyKind.DATA_QUALITY,
                    days,
                    {"signals": signals, "from": first.isoformat(), "to": last.isoformat()},
                )
            )
    return hits


def merge_signals(old: dict, new: dict) -> dict:
    """An open case keeps every signal it has shown, each at its latest reading."""
    return {**old, **new, "signals": {**old.get("signals", {}), **new.get("signals", {})}}
