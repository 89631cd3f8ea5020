"""Demo data for check-ins: points on both campuses, a notice, and 30 days of history.

Most people check in on time, some late in the window, some miss a window; a few have a
fever for a couple of days and one student reports contact with a confirmed case. Every
record looks like an honest phone: one device and one address per person, times spread
over the window, so the history raises no honesty flag. Bulk inserts keep it fast.
"""

import json
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from campuscode.checkins.devices import register_display
from campuscode.checkins.health import evaluate
from campuscode.checkins.mac import checkin_mac
from campuscode.checkins.models import (
    CampusAssignment,
    Checkin,
    CheckinPoint,
    Codes,
    Contact,
    Symptom,
    Via,
    WindowNotice,
)
from campuscode.checkins.windows import kind_group, windows_on
from campuscode.codes.tokens import Colour
from campuscode.core.rules import get_setting
from campuscode.people.models import OrgUnit, Person

DAYS = 30
POINTS = {
    0: [  # the first campus (主校区)
        ("南门", "南门岗亭", CheckinPoint.Kind.ENTRANCE, True),
        ("第一教学楼", "一教大厅", CheckinPoint.Kind.TEACHING, True),
        ("行政楼", "行政楼大厅", CheckinPoint.Kind.OFFICE, True),
        ("学生公寓1号楼", "1号楼门厅", CheckinPoint.Kind.DORMITORY, True),
        ("图书馆", "图书馆入口", CheckinPoint.Kind.OTHER, False),
    ],
    1: [  # the second campus (东校区)
        ("东校区正门", "正门岗亭", CheckinPoint.Kind.ENTRANCE, True),
        ("外语楼", "外语楼大厅", CheckinPoint.Kind.TEACHING, True),
        ("东区公寓", "公寓门厅", CheckinPoint.Kind.DORMITORY, True),
    ],
}


def _points(school: OrgUnit) -> dict[int, list[CheckinPoint]]:
    campuses = list(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.CAMPUS, path__startswith=school.path).order_by(
            "pk"
        )
    )
    by_campus: dict[int, list[CheckinPoint]] = {}
    for index, campus in enumerate(campuses[:2]):
        by_campus[campus.pk] = [
            CheckinPoint.objects.create(
                campus=campus,
                building=building,
                name=name,
                kind=kind,
                codes=Codes.SCREEN if screen else Codes.POSTER,
            )
            for building, name, kind, screen in POINTS[index]
        ]
    return by_campus


def _campus_of(person: Person, campus_paths: dict[str, int]) -> int | None:
    for path, campus_id in campus_paths.items():
        if person.org_unit.path.startswith(path):
            return campus_id
    return None


COLUMNS = [
    "person_id", "point_id", "at", "day", "period", "temperature", "symptoms",
    "symptom_detail", "contact", "contact_at", "contact_place", "contact_manner",
    "colour", "reason", "via", "device", "ip", "idempotency_key", "mac",
]  # fmt: skip


def _insert(rows: list[dict]) -> None:
    """executemany over plain tuples: 45,000 model instances through bulk_create took
    ~30 s on this machine, most of it in per-field preparation; this takes a few."""
    ops = connection.ops
    table = ops.quote_name(Checkin._meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in COLUMNS)
    marks = ", ".join(["%s"] * len(COLUMNS))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 (constant names)

    def values(row):
        contact_at = row.get("contact_at")
        # Signed like every check-in the application writes (checkins.mac), over the
        # values exactly as stored.
        mac = checkin_mac(
            {
                **row,
                "symptom_detail": "",
                "contact_at": contact_at,
                "contact_place": row.get("contact_place", ""),
                "contact_manner": row.get("contact_manner", ""),
            }
        )
        return (
            row["person_id"], row["point_id"], ops.adapt_datetimefield_value(row["at"]),
            ops.adapt_datefield_value(row["day"]), row["period"],
            ops.adapt_decimalfield_value(row["temperature"], 3, 1), json.dumps(row["symptoms"]),
            "", row["contact"],
            ops.adapt_datetimefield_value(contact_at) if contact_at else None,
            row.get("contact_place", ""), row.get("contact_manner", ""), row["colour"],
            row["reason"], row["via"], row["device"], row["ip"], row["idempotency_key"], mac,
        )  # fmt: skip

    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, [values(row) for row in rows[start : start + 5000]])


# Public holidays with fixed dates (month, day, days off); the lunar ones move each year.
HOLIDAYS = [("元旦", 1, 1, 3), ("清明节", 4, 4, 3), ("劳动节", 5, 1, 5), ("国庆节", 10, 1, 7)]


def next_holiday(today: date) -> tuple[str, date, date]:
    """The next public holiday after `today`, so the demo's notice fits the demo's date."""
    upcoming = [
        (date(year, month, day), name, length)
        for year in (today.year, today.year + 1)
        for name, month, day, length in HOLIDAYS
        if date(year, month, day) > today
    ]
    first, name, length = min(upcoming)
    return name, first, first + timedelta(days=length - 1)


def load_demo(*, school: OrgUnit, now: datetime) -> list[str]:
    rng = random.Random(3)
    tz = timezone.get_default_timezone()
    points = _points(school)
    campus_paths = {c.path: c.pk for c in OrgUnit.objects.filter(pk__in=points.keys())}
    today = timezone.localtime(now, tz).date()
    # The demo's people have been on the roll since before the history begins: the lists
    # count a person only from the day their record was created (R6.3).
    since = datetime.combine(today - timedelta(days=DAYS), datetime.min.time(), tzinfo=tz)
    Person.objects.filter(school=school, created_at__gt=since).update(created_at=since)
    WindowNotice.objects.create(
        school=school,
        title="校运动会（上午不打卡）",
        first_day=today - timedelta(days=9),
        last_day=today - timedelta(days=9),
        kind=WindowNotice.Kind.OTHER_TIMES,
        afternoon="12:30-15:30",
    )
    title, first_day, last_day = next_holiday(today)
    WindowNotice.objects.create(
        school=school,
        title=f"{title}放假，暂停打卡",
        first_day=first_day,
        last_day=last_day,
        kind=WindowNotice.Kind.NO_CHECKIN,
    )
    people = list(
        Person.objects.filter(school=school, state=Person.State.ACTIVE, user__isnull=False)
        .select_related("org_unit")
        .order_by("pk")
    )
    staff = [p for p in people if p.kind == Person.Kind.STAFF]
    second_campus = list(points)[-1]
    if staff:  # a teacher who works on both campuses (R4.4)
        teacher = next((p for p in staff if p.number == "T1007"), staff[-1])
        CampusAssignment.objects.create(person=teacher, campus_id=second_campus)

    students = [p for p in people if p.kind == Person.Kind.STUDENT and p.number != "20250101"]
    feverish = {
        p.pk: rng.randrange(1, DAYS - 2) for p in rng.sample(students, min(6, len(students)))
    }
    contact_case = rng.choice(students).pk if students else None
    yellow_at = Decimal(str(get_setting("health_yellow_temperature")))
    windows_cache: dict[tuple, list] = {}
    rows: list[Checkin] = []
    for person in people:
        campus_id = _campus_of(person, campus_paths)
        if campus_id is None:
            continue
        person_points = points[campus_id]
        home_point = person_points[person.pk % len(person_points)]
        device = f"demo{person.pk:010x}"
        ip = f"10.{20 + list(points).index(campus_id)}.{person.pk // 250}.{person.pk % 250 + 1}"
        diligence = rng.random()  # some people are reliably punctual, a few are not
        # anomalies2: readings vary around each person's usual value, as a thermometer's
        # do (evenly random values are a data-quality signal, anomalies.quality).
        usual = rng.gauss(36.45, 0.12)
        for offset in range(DAYS, -1, -1):
            day = today - timedelta(days=offset)
            key = (day, kind_group(person.kind))
            if key not in windows_cache:
                windows_cache[key] = windows_on(day, kind=person.kind, school_id=school.pk)
            for window in windows_cache[key]:
                if window.start >= now:
                    continue
                roll = rng.random()
                if roll < 0.03 + 0.07 * (diligence < 0.1):
                    continue  # missed this window
                span = (min(window.end, now) - window.start).total_seconds()
                if span < 120:
                    continue
                late = roll > 0.95 and window.end <= now
                lo = 0.85 if late else 0.02
                hi = 0.99 if late else 0.7
                at = window.start + timedelta(seconds=span * rng.uniform(lo, hi))
                if at >= now:
                    continue
                temperature = Decimal(f"{min(max(rng.gauss(usual, 0.18), 35.9), 37.2):.1f}")
                symptoms: list[str] = []
                contact = Contact.NONE
                contact_fields = {}
                fever_start = feverish.get(person.pk)
                if fever_start is not None and fever_start >= offset > fever_start - 3:
                    temperature = Decimal(f"{rng.uniform(37.4, 38.6):.1f}")
                    symptoms = [Symptom.FEVER] + ([Symptom.COUGH] if rng.random() < 0.5 else [])
                if person.pk == contact_case and offset <= 2:
                    contact = Contact.CONFIRMED
                    contact_fields = {
                        "contact_at": datetime.combine(
                            today - timedelta(days=4), datetime.min.time(), tzinfo=tz
                        )
                        + timedelta(hours=19),
                        "contact_place": "市区某餐厅",
                        "contact_manner": "同桌就餐（家属后确诊）",
                    }
                if temperature < yellow_at and not symptoms and contact == Contact.NONE:
                    colour, reason = Colour.GREEN, "normal"
                else:
                    colour, reason = evaluate(
                        temperature=temperature, symptoms=symptoms, contact=contact
                    )
                use_poster = not home_point.has_screen
                rows.append(
                    {
                        "person_id": person.pk,
                        "point_id": home_point.pk,
                        "at": at,
                        "day": day,
                        "period": window.period,
                        "temperature": temperature,
                        "symptoms": symptoms,
                        "contact": contact,
                        "colour": colour,
                        "reason": reason,
                        "via": Via.POSTER if use_poster else Via.SCREEN,
                        "device": device,
                        "ip": ip,
                        "idempotency_key": f"demo-{day}-{window.period}",
                        **contact_fields,
                    }
                )
    _insert(rows)
    main_gate = next(iter(points.values()))[0]
    # The demo's screen is registered like a real one: its enrolment link carries the
    # one-time credential (after the #), and the kiosk page answers only to it.
    _display, credential = register_display(point=main_gate, name="南门大屏")
    from campuscode.checkins.demo_flags import load_flag_examples

    flag_lines = load_flag_examples(school=school, now=now)
    return [
        f"Check-in point screen (南门), open once on the screen: "
        f"{{base}}/checkins/kiosk/{main_gate.pk}/enrol/#token={credential}",
        "Check-in: open the screen's QR on a phone (or the URL under it), sign in as 20250101",
        f"Check-in lists (adviser T1001): {{base}}/checkins/lists/ — {len(rows)} check-ins "
        f"over {DAYS} days",
        *flag_lines,
    ]
