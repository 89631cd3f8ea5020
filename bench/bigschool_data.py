"""A big school with a year of history, written by COPY (PostgreSQL only).

Used by `bench/bigschool.py` (50,000 people × 365 days into its own database) and by the
test suite (a few hundred people × a few days on the test database). Everything goes
through the current Django connection; nothing here creates or drops databases.

The school: one school, two campuses, colleges → majors (departments) → classes of ~40
students, an office per college and school offices for the staff (10 % of the people).
Each person checks in in each window of each school day (the school's own windows from
core.rules; public holidays are a "no check-in" notice), usually early in the window;
each person has a diligence, so a few miss more often than others. Planted on top:

- `missers`: students who missed every window of the last `miss_days` school days before
  today (the consecutive-miss detector must find each of them);
- `suspended`: students suspended a week ago (a PersonStateChange) who stopped checking in
  then; they are no longer expected, so the detector must not report them;
- a few fevers (a yellow colour, as health.evaluate gives it);
- gate events: `gate_per_day` passages per person per day on average, at the places of
  their campus, from 06:00 to 23:00.

Check-ins and gate events are COPYed in time order (the order they arrive in). In `bulk`
mode their secondary indexes and constraints are dropped first and rebuilt afterwards
(one sorted build each instead of 36 million random index inserts), then the tables are
vacuumed and analysed, as after a real restore.

History rows carry no MAC (checkins.mac): signing 36 million rows costs more than the
rest of the generation; `campuscode verify-records` would list them, nothing measured
here reads the MAC.
"""

import math
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红娟建国志文斌宇浩然子轩梓涵一诺欣怡雨桐思远"
COLLEGES = [
    "计算机学院", "机械工程学院", "经济管理学院", "外国语学院", "艺术学院", "数学学院",
    "物理学院", "化学学院", "生命科学学院", "法学院", "文学院", "历史学院", "医学院",
    "土木工程学院", "电气工程学院", "材料学院",
]  # fmt: skip
MAJORS = ["一专业", "二专业", "三专业", "四专业"]
SCHOOL_OFFICES = ["校医院", "保卫处", "人事处", "学生处", "信息中心", "校长办公室"]
PLACES = [
    ("正门", "campus_gate"),
    ("北门", "campus_gate"),
    ("图书馆", "library"),
    ("宿舍区", "dormitory"),
]
CLASS_SIZE = 40
STAFF_SHARE = 0.10
CHUNK = 100_000  # rows per write to the COPY stream


@dataclass
class Plan:
    people: int = 50_000
    days: int = 365
    seed: int = 12
    gate_per_day: float = 0.3
    missers: int | None = None  # default: one in 500 people, at least 3
    miss_days: int = 4
    suspended: int | None = None  # default: one in 1,000 people, at least 2
    bulk: bool = False  # drop and rebuild the big tables' indexes around the COPY

    def __post_init__(self):
        if self.missers is None:
            self.missers = max(3, self.people // 500)
        if self.suspended is None:
            self.suspended = max(2, self.people // 1000)


@dataclass
class School:
    school_id: int
    campus_ids: list[int]
    college_ids: list[int]
    people: int = 0
    checkins: int = 0
    gate_events: int = 0
    missers: list[int] = field(default_factory=list)
    suspended: list[int] = field(default_factory=list)
    miss_window_days: list[date] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _say(message: str, verbose: bool) -> None:
    if verbose:
        print(message, flush=True)


def generate(plan: Plan, *, now: datetime | None = None, verbose: bool = False) -> School:
    """Write the school and its history up to `now` into the current database."""
    assert connection.vendor == "postgresql", "COPY needs PostgreSQL"
    now = now or timezone.now()
    rng = random.Random(plan.seed)
    started = time.monotonic()
    school, units = _org_tree(plan)
    today = timezone.localdate(now)
    first_day = today - timedelta(days=plan.days - 1)
    _notices(school.school_id, first_day, today)
    # On the roll from the first day of the history: no one is expected before it.
    people = _people(plan, school, units, rng, since=first_day)
    school.timings["people s"] = time.monotonic() - started
    _say(f"  org tree and {school.people:,} people: {school.timings['people s']:.1f} s", verbose)

    tic = time.monotonic()
    with transaction.atomic():
        dropped = _drop_indexes(["checkins_checkin", "gates_gateevent"]) if plan.bulk else []
        _checkins(plan, school, people, rng, first_day=first_day, now=now, verbose=verbose)
        school.timings["check-ins COPY s"] = time.monotonic() - tic
        tic = time.monotonic()
        _gate_events(plan, school, people, rng, first_day=first_day, now=now, verbose=verbose)
        school.timings["gate events COPY s"] = time.monotonic() - tic
        tic = time.monotonic()
        if dropped:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                for statement in dropped:
                    _say(f"  {statement[:100]}", verbose)
                    cursor.execute(statement)
        school.timings["indexes s"] = time.monotonic() - tic
    tic = time.monotonic()
    with connection.cursor() as cursor:
        for table in ("people_person", "people_personstatechange", "checkins_checkin"):
            cursor.execute(f"VACUUM (ANALYZE) {table}" if plan.bulk else f"ANALYZE {table}")
        cursor.execute(
            "VACUUM (ANALYZE) gates_gateevent" if plan.bulk else "ANALYZE gates_gateevent"
        )
    school.timings["vacuum/analyze s"] = time.monotonic() - tic
    school.timings["total s"] = time.monotonic() - started
    return school


def _org_tree(plan: Plan):
    from campuscode.people.models import OrgUnit

    students = plan.people - int(plan.people * STAFF_SHARE)
    n_classes = max(1, math.ceil(students / CLASS_SIZE))
    n_colleges = min(len(COLLEGES), max(2, math.ceil(students / 2800)))
    root = OrgUnit.objects.create(kind=OrgUnit.Kind.SCHOOL, name="压测大学", code="BIG")
    campuses = [
        OrgUnit.objects.create(parent=root, kind=OrgUnit.Kind.CAMPUS, name=name)
        for name in ("主校区", "东校区")
    ]
    units = {"classes": [], "offices": [], "campus_of": {}}
    colleges, majors = [], []
    for index in range(n_colleges):
        campus = campuses[index % 2]
        college = OrgUnit.objects.create(
            parent=campus, kind=OrgUnit.Kind.COLLEGE, name=COLLEGES[index]
        )
        colleges.append(college)
        office = OrgUnit.objects.create(
            parent=college, kind=OrgUnit.Kind.OFFICE, name=f"{college.name}办公室"
        )
        units["offices"].append((office.pk, campus.pk))
        for major in MAJORS:
            majors.append(
                (
                    OrgUnit.objects.create(
                        parent=college,
                        kind=OrgUnit.Kind.DEPARTMENT,
                        name=f"{college.name[:-2]}{major}",
                    ),
                    campus,
                )
            )
    for name in SCHOOL_OFFICES:
        office = OrgUnit.objects.create(parent=campuses[0], kind=OrgUnit.Kind.OFFICE, name=name)
        units["offices"].append((office.pk, campuses[0].pk))
    for index in range(n_classes):
        major, campus = majors[index % len(majors)]
        grade = 2022 + (index // len(majors)) % 4
        klass = OrgUnit.objects.create(
            parent=major,
            kind=OrgUnit.Kind.CLASS,
            name=f"{major.name[-3:]}{grade % 100}{index // (len(majors) * 4) + 1:02d}班",
        )
        units["classes"].append((klass.pk, campus.pk, grade))
    school = School(root.pk, [c.pk for c in campuses], [c.pk for c in colleges])
    return school, units


def _notices(school_id: int, first: date, last: date) -> None:
    """The fixed-date public holidays within the history: no check-in on those days."""
    from campuscode.checkins.demo import HOLIDAYS
    from campuscode.checkins.models import WindowNotice

    for year in range(first.year, last.year + 1):
        for name, month, day, length in HOLIDAYS:
            start = date(year, month, day)
            end = start + timedelta(days=length - 1)
            if end >= first and start <= last:
                WindowNotice.objects.create(
                    school_id=school_id,
                    title=f"{name}放假，暂停打卡",
                    first_day=start,
                    last_day=end,
                    kind=WindowNotice.Kind.NO_CHECKIN,
                )


def _copy(table: str, columns: list[str], rows) -> int:
    """COPY text rows (already tab-separated, newline-terminated strings) into `table`."""
    count = 0
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        buffer = []
        for row in rows:
            buffer.append(row)
            if len(buffer) >= CHUNK:
                copy.write("".join(buffer))
                count += len(buffer)
                buffer.clear()
        if buffer:
            copy.write("".join(buffer))
            count += len(buffer)
    return count


def _people(plan: Plan, school: School, units, rng: random.Random, *, since: date) -> list:
    """COPY the people and their first history entry; returns (pk, kind, campus id,
    diligence) per person, with the planted groups marked on `school`."""
    from campuscode.people.models import Person

    tz = timezone.get_default_timezone()
    created = datetime.combine(since, datetime.min.time(), tzinfo=tz).isoformat()
    n_staff = int(plan.people * STAFF_SHARE)
    rows, meta = [], []
    for index in range(plan.people):
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        if index < plan.people - n_staff:
            unit, campus, grade = units["classes"][index // CLASS_SIZE % len(units["classes"])]
            kind, number = "student", f"{grade}{index:06d}"
        else:
            unit, campus = units["offices"][index % len(units["offices"])]
            kind, number = "staff", f"T{index:06d}"
        rows.append(
            f"{school.school_id}\t{number}\t{name}\t{kind}\t\t\t\t\tactive\t{unit}\t{created}\t{created}\n"
        )
        meta.append((kind, campus))
    columns = [
        "school_id", "number", "name", "kind", "phone", "email", "id_hash", "id_last4",
        "state", "org_unit_id", "created_at", "updated_at",
    ]  # fmt: skip
    school.people = _copy("people_person", columns, rows)
    pks = list(
        Person.objects.filter(school_id=school.school_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    people = [
        (pk, kind, campus, 0.9 if rng.random() < 0.1 else 0.99)  # share of windows done
        for pk, (kind, campus) in zip(pks, meta, strict=True)
    ]
    students = [p[0] for p in people if p[1] == "student"]
    chosen = rng.sample(students, plan.missers + plan.suspended)
    school.missers = sorted(chosen[: plan.missers])
    school.suspended = sorted(chosen[plan.missers :])
    history = [f"{pk}\tactive\timported\t{created}\n" for pk in pks]
    _copy("people_personstatechange", ["person_id", "state", "reason", "at"], history)
    return people


def _suspend(school: School, day: date) -> None:
    """The suspended students: their record and its history from `day` on."""
    from campuscode.people.models import Person, PersonStateChange

    at = datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_default_timezone())
    Person.objects.filter(pk__in=school.suspended).update(
        state=Person.State.SUSPENDED, updated_at=at
    )
    PersonStateChange.objects.bulk_create(
        PersonStateChange(person_id=pk, state="suspended", reason="edited", at=at)
        for pk in school.suspended
    )


def _windows(school_id: int, first: date, last: date) -> dict[tuple[date, str], list]:
    from campuscode.checkins.windows import windows_on

    found = {}
    day = first
    while day <= last:
        for kind in ("student", "staff"):
            found[(day, kind)] = windows_on(day, kind=kind, school_id=school_id)
        day += timedelta(days=1)
    return found


CHECKIN_COLUMNS = [
    "person_id", "point_id", "device", "ip", "via", "at", "day", "period", "idempotency_key",
    "temperature", "symptoms", "colour", "reason", "contact", "symptom_detail",
    "contact_place", "contact_manner", "mac",
]  # fmt: skip


def _checkins(plan, school: School, people, rng, *, first_day: date, now: datetime, verbose):
    from decimal import Decimal

    from campuscode.checkins.health import evaluate
    from campuscode.checkins.models import CheckinPoint

    today = timezone.localdate(now)
    windows = _windows(school.school_id, first_day, today)
    school_days = sorted(
        {d for (d, kind), ws in windows.items() if kind == "student" and ws and d < today}
    )
    school.miss_window_days = school_days[-plan.miss_days :]
    miss_from = school.miss_window_days[0] if school.miss_window_days else today
    suspend_day = today - timedelta(days=min(7, plan.days - 1))
    _suspend(school, suspend_day)
    points = {
        campus: CheckinPoint.objects.create(campus_id=campus, building="教学楼", name="大厅").pk
        for campus in school.campus_ids
    }
    # Per person, the columns that never change: person, point, device, address, via.
    prefix = {
        pk: f"{pk}\t{points[campus]}\tbs{pk:x}\t10.{pk >> 16 & 255}.{pk >> 8 & 255}.{pk & 255}\tscreen\t"
        for pk, _kind, campus, _d in people
    }
    normal = [f"{t / 10:.1f}" for t in range(360, 370)]
    tails = {t: f"\t{t}\t[]\tgreen\tnormal\tnone\t\t\t\t\n" for t in normal}
    fevers = []
    for t in range(373, 386):
        temperature = Decimal(t) / 10
        colour, reason = evaluate(temperature=temperature, symptoms=["fever"], contact="none")
        fevers.append(f'\t{temperature}\t["fever"]\t{colour}\t{reason}\tnone\t\t\t\t\n')
    missers, suspended = set(school.missers), set(school.suspended)
    seconds = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]

    def rows():
        day = first_day
        total, tic = 0, time.monotonic()
        while day <= today:
            offset = timezone.localtime(
                datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_default_timezone())
            ).strftime("%z")
            offset = offset[:3]
            for pk, kind, _campus, diligence in people:
                if pk in missers and day >= miss_from:
                    continue
                if pk in suspended and day >= suspend_day:
                    continue
                head = prefix[pk]
                for window in windows[(day, kind)]:
                    if window.start >= now or rng.random() > diligence:
                        continue
                    span = int((min(window.end, now) - window.start).total_seconds())
                    if span < 60:
                        continue
                    start = window.start.hour * 3600 + window.start.minute * 60
                    at = start + int(span * rng.random() ** 2)  # most come early
                    if window.end > now and at >= start + span:
                        continue
                    tail = (
                        fevers[int(rng.random() * len(fevers))]
                        if rng.random() < 0.002
                        else tails[normal[int(rng.random() * 10)]]
                    )
                    total += 1
                    yield (
                        f"{head}{day} {seconds[at]}{offset}\t{day}\t{window.period}\t"
                        f"b{day:%y%m%d}{window.period[0]}{tail}"
                    )
            day += timedelta(days=1)
            if verbose and (day - first_day).days % 30 == 0:
                rate = total / max(time.monotonic() - tic, 1e-9)
                print(f"  check-ins up to {day}: {total:,} ({rate:,.0f} rows/s)", flush=True)

    school.checkins = _copy("checkins_checkin", CHECKIN_COLUMNS, rows())


GATE_COLUMNS = [
    "gate_id", "place_id", "person_id", "direction", "at", "received_at", "nonce",
    "allowed", "reason", "notice", "colour", "token_fp", "source",
]  # fmt: skip


def _gate_events(plan, school: School, people, rng, *, first_day: date, now: datetime, verbose):
    from campuscode.gates.models import Gate, Place, hash_device_token
    from campuscode.gates.services import new_device_token

    places = {}
    for campus in school.campus_ids:
        places[campus] = []
        for name, kind in PLACES:
            place = Place.objects.create(campus_id=campus, name=name, kind=kind)
            token = new_device_token()
            gate = Gate.objects.create(
                place=place,
                name=f"{name}闸机",
                token_hash=hash_device_token(token),
                token_hint=token[:8],
            )
            places[campus].append(f"{gate.pk}\t{place.pk}\t")
    per_day = int(len(people) * plan.gate_per_day)
    tz = timezone.get_default_timezone()
    if per_day == 0:
        return

    def rows():
        day, serial = first_day, 0
        while day <= now.date():
            base = datetime.combine(day, datetime.min.time(), tzinfo=tz)
            for _ in range(per_day):
                pk, _kind, campus, _d = people[int(rng.random() * len(people))]
                at = base + timedelta(seconds=6 * 3600 + int(rng.random() * 17 * 3600))
                if at >= now:
                    continue
                serial += 1
                direction = "in" if serial % 2 else "out"
                stamp = at.isoformat()
                yield (
                    f"{rng.choice(places[campus])}{pk}\t{direction}\t{stamp}\t{stamp}\tn{serial}\t"
                    "t\tok\t\tgreen\t\tonline\n"
                )
            day += timedelta(days=1)

    school.gate_events = _copy("gates_gateevent", GATE_COLUMNS, rows())
    _say(f"  gate events: {school.gate_events:,}", verbose)


def _drop_indexes(tables: list[str]) -> list[str]:
    """Drop the tables' constraints (but the primary key) and secondary indexes; return
    the statements that put them back, indexes first."""
    restore_indexes, restore_constraints = [], []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass AND contype <> 'p'",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                [table, table],
            )
            indexes = cursor.fetchall()
            for name, definition in constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                restore_constraints.append(
                    f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
                )
            for name, definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
                restore_indexes.append(definition)
    return restore_indexes + restore_constraints
