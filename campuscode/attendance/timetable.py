"""The academic office's timetable: import (XLSX/CSV as 教务系统 exports it) and the
term's sessions generated from it, idempotently (R2.4).

Reading is separate from writing: `read_timetable()` returns every row, good or bad with
the reasons, for the preview; `commit_timetable()` stores the good ones; then
`generate_sessions()` makes each lesson of the term once, moves the ones whose line
changed, and cancels the ones no longer taught (holidays added later, lines removed),
never touching a session that already has marks.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscode.attendance.models import Course, Session, Term, TimetableEntry
from campuscode.core.spreadsheets import UnreadableFile, open_table
from campuscode.people.models import OrgUnit, Person

# Header spellings of the usual 教务系统 exports (正方, 强智, 青果 …), normalised.
HEADERS = {
    "course_code": ("课程代码", "课程号", "课程编号", "course code"),
    "course": ("课程名称", "课程", "课程名", "course"),
    "classes": ("上课班级", "教学班组成", "班级", "行政班", "教学班", "classes", "class"),
    "teacher_number": ("教师工号", "工号", "职工号", "teacher number"),
    "teacher": ("任课教师", "教师", "教师姓名", "授课教师", "teacher"),
    "weekday": ("星期", "上课星期", "周几", "weekday"),
    "periods": ("节次", "上课节次", "periods"),
    "weeks": ("周次", "上课周次", "起止周", "weeks"),
    "room": ("教室", "上课地点", "上课教室", "地点", "room"),
}
REQUIRED = ("course", "classes", "weekday", "periods", "weeks")
WEEKDAYS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}
SPLIT = re.compile(r"[,，、;；/\s]+")


def _norm(value) -> str:
    return unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()


def parse_weekday(text: str) -> int | None:
    text = _norm(text).replace("星期", "").replace("周", "").replace("礼拜", "")
    if text.isdigit() and 1 <= int(text) <= 7:
        return int(text)
    return WEEKDAYS.get(text)


def parse_periods(text: str) -> tuple[int, int] | None:
    text = _norm(text).replace("第", "").replace("节", "").replace("~", "-").replace("—", "-")
    match = re.fullmatch(r"(\d{1,2})(?:-(\d{1,2}))?", text)
    if not match:
        return None
    first = int(match[1])
    last = int(match[2] or first)
    return (first, last) if 1 <= first <= last else None


def parse_weeks(text: str) -> list[int] | None:
    """'1-16周', '1-8,10-16', '2-16双周', '1-15(单)', '第3周' → sorted weeks, or None."""
    text = _norm(text).replace("第", "").replace("~", "-").replace("—", "-")
    weeks: set[int] = set()
    parts = [p for p in SPLIT.split(text) if p]
    if not parts:
        return None
    for part in parts:
        parity = None
        if "单" in part:
            parity = 1
        elif "双" in part:
            parity = 0
        core = re.sub(r"[周()（）单双]", "", part)
        match = re.fullmatch(r"(\d{1,2})(?:-(\d{1,2}))?", core)
        if not match:
            return None
        first, last = int(match[1]), int(match[2] or match[1])
        if not 1 <= first <= last <= 30:
            return None
        weeks |= {w for w in range(first, last + 1) if parity is None or w % 2 == parity}
    return sorted(weeks) or None


@dataclass
class Row:
    number: int
    values: dict
    problems: list[str] = field(default_factory=list)
    classes: list[OrgUnit] = field(default_factory=list)
    teacher: Person | None = None
    weekday: int | None = None
    periods: tuple[int, int] | None = None
    weeks: list[int] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Reading:
    rows: list[Row]
    missing_headers: list[str] = field(default_factory=list)
    unreadable: str = ""

    @property
    def good(self) -> list[Row]:
        return [r for r in self.rows if r.ok]

    @property
    def bad(self) -> list[Row]:
        return [r for r in self.rows if not r.ok]


HEADER_LABELS = {
    "course": "课程名称",
    "classes": "上课班级",
    "weekday": "星期",
    "periods": "节次",
    "weeks": "周次",
}


def read_timetable(source, *, term: Term) -> Reading:
    """Every row of the file with what is wrong with it (nothing is stored)."""
    school = term.school
    try:
        with open_table(source) as table:
            raw = list(table.rows)
    except UnreadableFile as error:
        return Reading([], unreadable=error.code)
    if not raw:
        return Reading([], missing_headers=list(REQUIRED))
    _n, header_cells = raw[0]
    columns: dict[str, int] = {}
    for index, cell in enumerate(header_cells):
        name = _norm(cell).lower()
        for key, spellings in HEADERS.items():
            if key not in columns and name in {s.lower() for s in spellings}:
                columns[key] = index
    missing = [HEADER_LABELS[k] for k in REQUIRED if k not in columns]
    if missing:
        return Reading([], missing_headers=missing)
    classes = {
        u.name: u
        for u in OrgUnit.objects.filter(path__startswith=school.path, kind=OrgUnit.Kind.CLASS)
    }
    staff = list(
        Person.objects.filter(school=school, kind=Person.Kind.STAFF, state=Person.State.ACTIVE)
    )
    by_number = {p.number: p for p in staff}
    by_name: dict[str, list[Person]] = {}
    for p in staff:
        by_name.setdefault(p.name, []).append(p)
    periods_in_day = len(term.period_times)
    rows = []
    for number, cells in raw[1:]:
        values = {key: _norm(cells[i]) if i < len(cells) else "" for key, i in columns.items()}
        if not any(values.values()):
            continue
        row = Row(number=number, values=values)
        if not values.get("course"):
            row.problems.append(_("The course name is empty."))
        names = [n for n in SPLIT.split(values.get("classes", "")) if n]
        unknown = [n for n in names if n not in classes]
        row.classes = [classes[n] for n in names if n in classes]
        if not names:
            row.problems.append(_("No class is given."))
        elif unknown:
            row.problems.append(
                _("Unknown class: %(names)s. Import the roster first or check the spelling.")
                % {"names": "、".join(unknown)}
            )
        teacher_number, teacher_name = values.get("teacher_number", ""), values.get("teacher", "")
        if teacher_number:
            row.teacher = by_number.get(teacher_number)
            if row.teacher is None:
                row.problems.append(
                    _("No staff member has the number %(number)s.") % {"number": teacher_number}
                )
        elif teacher_name:
            found = by_name.get(teacher_name, [])
            if len(found) == 1:
                row.teacher = found[0]
            elif found:
                row.problems.append(
                    _("Several staff members are called %(name)s: give the staff number.")
                    % {"name": teacher_name}
                )
            else:
                row.problems.append(
                    _("No staff member is called %(name)s.") % {"name": teacher_name}
                )
        else:
            row.problems.append(_("No teacher is given."))
        row.weekday = parse_weekday(values.get("weekday", ""))
        if row.weekday is None:
            row.problems.append(
                _("Weekday %(value)s is not understood (write 星期一 … 星期日 or 1 … 7).")
                % {"value": values.get("weekday", "")}
            )
        row.periods = parse_periods(values.get("periods", ""))
        if row.periods is None:
            row.problems.append(
                _("Periods %(value)s are not understood (write 1-2 or 第3-4节).")
                % {"value": values.get("periods", "")}
            )
        elif row.periods[1] > periods_in_day:
            row.problems.append(
                _(
                    "Period %(period)s does not exist: the term calendar has %(count)s periods a day."
                )
                % {"period": row.periods[1], "count": periods_in_day}
            )
        row.weeks = parse_weeks(values.get("weeks", ""))
        if row.weeks is None:
            row.problems.append(
                _("Weeks %(value)s are not understood (write 1-16周, 1-8,10-16 or 2-16双周).")
                % {"value": values.get("weeks", "")}
            )
        elif row.weeks[-1] > term.weeks:
            row.problems.append(
                _("Week %(week)s is after the end of the term (%(weeks)s weeks).")
                % {"week": row.weeks[-1], "weeks": term.weeks}
            )
        rows.append(row)
    return Reading(rows)


def _entry_key(row: Row) -> str:
    v = row.values
    classes = ",".join(sorted(u.name for u in row.classes))
    return f"{v.get('course_code', '')}|{v['course']}|{classes}|{row.weekday}|{row.periods[0]}"[
        :200
    ]


def commit_timetable(*, reading: Reading, term: Term, actor, client_ip: str | None) -> dict:
    """Store the good rows: a line met again (same course, classes, weekday and first
    period) is updated, never doubled; lines of the term absent from the file stay until
    an import with `replace`... the office removes lines by re-importing the whole term."""
    from campuscode.audit.services import log_action

    created = updated = 0
    keys = []
    with transaction.atomic():
        for row in reading.good:
            course, _c = Course.objects.get_or_create(
                school=term.school,
                code=row.values.get("course_code", "")[:32],
                name=row.values["course"][:100],
            )
            key = _entry_key(row)
            keys.append(key)
            entry, made = TimetableEntry.objects.update_or_create(
                term=term,
                key=key,
                defaults={
                    "course": course,
                    "teacher": row.teacher,
                    "weekday": row.weekday,
                    "first_period": row.periods[0],
                    "last_period": row.periods[1],
                    "weeks": row.weeks,
                    "room": row.values.get("room", "")[:100],
                },
            )
            entry.units.set(row.classes)
            created += made
            updated += not made
        # The file is the whole term's timetable: lines no longer in it are removed
        # (their future sessions are cancelled by the next generation).
        removed, _d = TimetableEntry.objects.filter(term=term).exclude(key__in=keys).delete()
    result = {"created": created, "updated": updated, "removed": removed, "bad": len(reading.bad)}
    log_action(
        action="attendance.timetable.imported",
        actor=actor,
        client_ip=client_ip,
        data={"term": term.pk, **result},
    )
    return result


# --- the term calendar ----------------------------------------------------------------------


def period_range(term: Term, first: int, last: int) -> tuple[time, time]:
    start = term.period_times[first - 1].split("-")[0]
    end = term.period_times[last - 1].split("-")[1]
    return time.fromisoformat(start), time.fromisoformat(end)


def holidays(term: Term) -> set[date]:
    """Dates with no classes: the school's 'no check-in on these dates' notices (the same
    date notices the check-in windows use)."""
    from campuscode.checkins.models import WindowNotice

    last = term.starts_on + timedelta(weeks=term.weeks)
    days: set[date] = set()
    for notice in WindowNotice.objects.filter(
        school=term.school,
        kind=WindowNotice.Kind.NO_CHECKIN,
        first_day__lte=last,
        last_day__gte=term.starts_on,
    ):
        day = notice.first_day
        while day <= notice.last_day:
            days.add(day)
            day += timedelta(days=1)
    return days


def teaching_days(term: Term) -> dict[date, date]:
    """{calendar date: the date whose timetable is taught on it}: every day of the term
    except holidays and exam weeks, plus make-up days (调休: a Saturday taught as a
    holiday's weekday)."""
    off = holidays(term)
    exams = {int(w) for w in term.exam_weeks or []}
    days: dict[date, date] = {}
    for offset in range(term.weeks * 7):
        day = term.starts_on + timedelta(days=offset)
        if day in off or offset // 7 + 1 in exams:
            continue
        days[day] = day
    for makeup in term.makeup_days or []:
        day, taught = date.fromisoformat(makeup["date"]), date.fromisoformat(makeup["as"])
        days[day] = taught
    return days


def week_of(term: Term, day: date) -> int:
    return (day - term.starts_on).days // 7 + 1


def generate_sessions(*, term: Term, actor=None, client_ip: str | None = None, now=None) -> dict:
    """Make the term's sessions from its timetable: each lesson once (by its source key),
    updated when its line changed, cancelled when no longer taught. Sessions already
    started or marked are left as they are: the past is not rewritten."""
    from campuscode.audit.services import log_action

    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    wanted: dict[str, dict] = {}
    entries = list(
        TimetableEntry.objects.filter(term=term)
        .select_related("course", "teacher", "teacher__user")
        .prefetch_related("units")
    )
    for day, taught in sorted(teaching_days(term).items()):
        week = week_of(term, taught)
        for entry in entries:
            if entry.weekday != taught.isoweekday() or week not in entry.weeks:
                continue
            start, end = period_range(term, entry.first_period, entry.last_period)
            units = sorted(entry.units.all(), key=lambda u: u.pk)
            wanted[f"tt:{entry.pk}:{day.isoformat()}"] = {
                "entry": entry,
                "units": units,
                "fields": {
                    "title": entry.course.name,
                    "starts_at": datetime.combine(day, start, zone),
                    "ends_at": datetime.combine(day, end, zone),
                    "place": entry.room,
                    "unit": units[0] if units else None,
                    "owner": entry.teacher.user,
                    "course": entry.course,
                },
            }
    counts = {"created": 0, "updated": 0, "unchanged": 0, "cancelled": 0}
    with transaction.atomic():
        existing = {
            s.source_key: s
            for s in Session.objects.filter(school=term.school, source_key__startswith="tt:")
            .filter(entry__term=term)
            .prefetch_related("extra_units")
        }
        orphans = Session.objects.filter(
            school=term.school, source_key__startswith="tt:", entry__isnull=True
        )
        for session in orphans:  # its timetable line was removed
            existing[session.source_key] = session
        for key, item in wanted.items():
            session = existing.pop(key, None)
            fields = item["fields"]
            if session is None:
                session = Session.objects.create(
                    school=term.school,
                    kind=Session.Kind.CLASS,
                    origin=Session.Origin.TIMETABLE,
                    entry=item["entry"],
                    source_key=key,
                    created_by=actor,
                    **fields,
                )
                session.extra_units.set(item["units"][1:])
                counts["created"] += 1
                continue
            if session.starts_at <= now or session.marks.exists():
                counts["unchanged"] += 1
                continue
            changed = [k for k, v in fields.items() if getattr(session, k) != v]
            if changed or session.cancelled_at:
                for k in changed:
                    setattr(session, k, fields[k])
                session.cancelled_at = None
                Session.objects.filter(pk=session.pk).update(
                    cancelled_at=None, **{k: fields[k] for k in changed}
                )
                session.extra_units.set(item["units"][1:])
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        for session in existing.values():
            if session.cancelled_at or session.starts_at <= now or session.marks.exists():
                continue
            Session.objects.filter(pk=session.pk).update(cancelled_at=now)
            counts["cancelled"] += 1
    log_action(
        action="attendance.sessions.generated",
        actor=actor,
        client_ip=client_ip,
        data={"term": term.pk, **counts},
    )
    return counts
