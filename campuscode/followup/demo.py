"""Demo data for exceptions and follow-up, on top of the core school and the check-in
history: a few of each case, through the same services the pages use where they allow
the past (reports, make-ups, decisions, cases), and as plain rows where they do not."""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from campuscode.audit.services import purge_allowed
from campuscode.checkins.models import Checkin, Via
from campuscode.checkins.services import Answers
from campuscode.checkins.windows import windows_on
from campuscode.followup import cases, isolation, services, visitors
from campuscode.followup.models import (
    CaseEvent,
    CaseState,
    FollowupCase,
    Isolation,
    IsolationReport,
    ManualRegistration,
)
from campuscode.notify.models import Kind, Notice
from campuscode.people.access import Cap, holders_over
from campuscode.people.models import OrgUnit, Person

DEMO_CLASS = "计科2501班"
NO_PHONE_STUDENT_INDEX = 7  # a classmate without a usable phone (R4.6)


def _user(school: OrgUnit, number: str) -> User | None:
    return User.objects.filter(username=f"{number}@{school.code}").first()


def _answers(rng, *, hot=False) -> Answers:
    temperature = Decimal(f"{rng.uniform(37.5, 38.3) if hot else rng.uniform(36.1, 36.8):.1f}")
    return Answers(temperature=temperature, symptoms=["fever"] if hot else [])


def _reports_and_makeups(school, classmates, adviser, now, rng) -> dict:
    today = timezone.localdate(now)
    counts = {"pending": 0, "makeups": 0}
    reasons = ["回家参加婚礼", "医院复诊", "参加省级竞赛（外地）", "家中有事请假"]
    for index, person in enumerate(classmates[1:6]):
        first = today + timedelta(days=1 + index)
        filed = now - timedelta(hours=3 + index)
        if index == 3:
            # Approved three days ago for yesterday and today: away, so no check-ins, and
            # the lists show those windows as excused.
            first, filed = today - timedelta(days=1), now - timedelta(days=3)
            # The demo rewrites generated history: past the check-in table's guard.
            with transaction.atomic(), purge_allowed():
                Checkin.objects.filter(person=person, day__gte=first).delete()
        outcome = services.file_advance_report(
            person=person,
            first_day=first,
            last_day=first + timedelta(days=1 if index == 3 else index % 2),
            periods=["morning", "afternoon"],
            reason=reasons[index % len(reasons)],
            idempotency_key=f"demo-report-{person.pk}",
            now=filed,
        )
        if not outcome.ok or adviser is None:
            continue
        if index == 3:
            services.decide(kind="report", pk=outcome.obj.pk, user=adviser, approve=True, now=now)
        elif index == 4:
            services.decide(
                kind="report",
                pk=outcome.obj.pk,
                user=adviser,
                approve=False,
                note="竞赛证明未附，请补充后重新报备",
                now=now,
            )
        else:
            counts["pending"] += 1
    # Make-ups of windows really missed in the check-in history.
    made = 0
    for person in classmates[1:]:
        for window in services.missed_windows(person, now=now)[:1]:
            outcome = services.request_makeup(
                person=person,
                day=window.day,
                period=window.period,
                answers=_answers(rng),
                reason="手机没电，未能按时打卡",
                idempotency_key=f"demo-makeup-{person.pk}",
                now=min(now, window.end + timedelta(hours=2)),
            )
            if outcome.ok:
                made += 1
                if made == 1 and adviser is not None:
                    services.decide(kind="makeup", pk=outcome.obj.pk, user=adviser, approve=True)
                else:
                    counts["makeups"] += 1
        if made >= 3:
            break
    return counts


def _manual(school, person, adviser, now, rng) -> int:
    """Six manual registrations in a week: over the default limit of five, so the
    department is alerted (R4.6)."""
    if adviser is None:
        return 0
    tz = timezone.get_default_timezone()
    days = [timezone.localdate(now) - timedelta(days=d) for d in range(1, 4)]
    made = 0
    with transaction.atomic():
        for day in days:
            for window in windows_on(day, kind=person.kind, school_id=school.pk):
                with purge_allowed():  # generated history, past the table's guard
                    Checkin.objects.filter(person=person, day=day, period=window.period).delete()
                at = window.start + timedelta(minutes=rng.randint(10, 90))
                checkin = Checkin.objects.create(
                    person=person,
                    point=None,
                    at=at,
                    day=day,
                    period=window.period,
                    temperature=_answers(rng).temperature,
                    symptoms=[],
                    colour="green",
                    reason="normal",
                    via=Via.MANUAL,
                    idempotency_key=f"demo-manual-{day}-{window.period}",
                    recorded_by=adviser,
                )
                ManualRegistration.objects.create(
                    checkin=checkin,
                    person=person,
                    place="学生公寓1号楼 宿管室",
                    reason="手机损坏送修，由班主任代为登记",
                    recorded_by=adviser,
                    created_at=at,
                )
                made += 1
        for admin in holders_over(person, Cap.APPROVE_REQUESTS, Cap.FOLLOW_CASES):
            Notice.objects.create(
                user=admin,
                kind=Kind.MANUAL_LIMIT,
                data={"person": person.pk, "name": person.name, "count": made},
                url="/followup/dashboard/",
                created_at=datetime.combine(days[0], datetime.min.time(), tzinfo=tz),
            )
    return made


def _cases(school, health, now) -> int:
    """Cases for the recent non-green check-ins of the history (raw inserts fire no
    signal); the older ones already followed to their end."""
    since = timezone.localdate(now) - timedelta(days=12)
    latest: dict[int, Checkin] = {}
    for checkin in (
        Checkin.objects.effective()
        .filter(person__school=school, day__gte=since)
        .exclude(colour="green")
        .order_by("at")
    ):
        latest[checkin.person_id] = checkin
    opened = 0
    for index, checkin in enumerate(latest.values()):
        case = cases.open_case_for_checkin(checkin.pk)
        if case is None:
            continue
        opened += 1
        FollowupCase.objects.filter(pk=case.pk).update(opened_at=checkin.at)
        CaseEvent.objects.filter(case=case).update(at=checkin.at)
        if index % 3 == 0 and checkin.person.user:
            CaseEvent.objects.create(
                case=case,
                kind=CaseEvent.Kind.PROGRESS,
                at=checkin.at + timedelta(hours=6),
                actor=checkin.person.user,
                text="已到校医院就诊，医生诊断为上呼吸道感染，按时服药中。",
            )
        if health is not None and checkin.day < timezone.localdate(now) - timedelta(days=5):
            cases.set_state(case=case, user=health, state=CaseState.RECOVERED, note="体温已正常")
            cases.close_case(case=case, user=health, note="连续三天体温正常，复查无异常，结案。")
        elif health is not None and index % 2 == 0:
            cases.set_state(case=case, user=health, state=CaseState.TREATMENT, note="门诊治疗")
    return opened


def _isolations(school, health, now, rng) -> int:
    if health is None:
        return 0
    today = timezone.localdate(now)
    red = list(
        Checkin.objects.effective()
        .filter(person__school=school, colour="red", day__gte=today - timedelta(days=5))
        .values_list("person_id", flat=True)
        .distinct()
    )
    students = list(
        Person.objects.filter(school=school, kind=Person.Kind.STUDENT, user__isnull=False)
        .exclude(pk__in=red)
        .order_by("pk")
    )
    people = [*Person.objects.filter(pk__in=red), *rng.sample(students, min(2, len(students)))]
    placed = 0
    for index, person in enumerate(people[:3]):
        start = today - timedelta(days=2 - index)
        outcome = isolation.place_isolation(
            person=person,
            user=health,
            kind=Isolation.Kind.ISOLATION if index == 0 else Isolation.Kind.OBSERVATION,
            place=["东区隔离观察点 3 室", "居家观察（校外住址）", "东区隔离观察点 5 室"][index],
            reason=["与确诊病例同桌就餐", "同住人发热待查", "境外返校"][index],
            starts_on=start,
            ends_on=start + timedelta(days=13),
            now=now - timedelta(days=2 - index, hours=1),
        )
        if not outcome.ok:
            continue
        placed += 1
        iso = outcome.obj
        Isolation.objects.filter(pk=iso.pk).update(
            created_at=datetime.combine(start, datetime.min.time(), tzinfo=now.tzinfo)
        )
        # Some reports sent, the latest one or two missing: the dashboard shows them.
        day = start
        for slot, at in enumerate(isolation.report_times()):
            moment = datetime.combine(day, at, tzinfo=timezone.get_default_timezone())
            if moment + timedelta(minutes=30) < now - timedelta(hours=10):
                IsolationReport.objects.get_or_create(
                    isolation=iso,
                    day=day,
                    slot=slot,
                    defaults={
                        "at": moment + timedelta(minutes=12),
                        "temperature": _answers(rng).temperature,
                        "note": "无不适",
                    },
                )
    # One observation of last month, ended.
    if students:
        past = students[-1]
        start = today - timedelta(days=30)
        ended = Isolation.objects.create(
            person=past,
            kind=Isolation.Kind.OBSERVATION,
            place="居家观察",
            reason="外地返校",
            starts_on=start,
            ends_on=start + timedelta(days=6),
            created_by=health,
            created_at=now - timedelta(days=30),
            ended_at=now - timedelta(days=23),
            ended_by=health,
            end_note="观察期满，无异常",
        )
        del ended
    return placed


def _visitors(school, dept_admin, hr, now) -> list[str]:
    if dept_admin is None or hr is None:
        return []
    college = OrgUnit.objects.filter(name="计算机学院", path__startswith=school.path).first()
    if college is None:
        return []
    today = timezone.localdate(now)
    rows = [
        ("visitor", "钱学者", "110101197805060012", "学术讲座《可信计算》", 0, 2, "approve"),
        ("temporary", "孙师傅", "310104198201010035", "实验楼空调维修", 0, 30, "approve"),
        ("visitor", "周家长", "440106197511110027", "新生家长开放日", -10, -8, "approve"),
        ("visitor", "吴工程师", "320102198803030048", "机房设备巡检", 1, 3, None),
    ]
    lines = []
    for index, (kind, name, id_number, purpose, start, end, decision) in enumerate(rows):
        outcome = visitors.apply_for_code(
            user=dept_admin,
            host_unit=college,
            kind=kind,
            name=name,
            id_number=id_number,
            phone="13900000000",
            email=f"{kind}{index + 1}@example.com",
            purpose=purpose,
            valid_from=today + timedelta(days=start),
            valid_until=today + timedelta(days=end),
            idempotency_key=f"demo-visitor-{name}",
            now=now - timedelta(days=12 if end < 0 else 1),
        )
        if not outcome.ok and end < 0:
            # An application for dates already past is refused today; keep the expired
            # visitor as it was approved back then.
            from campuscode.followup.models import VisitorApplication
            from campuscode.people.services import id_fields

            application = VisitorApplication.objects.create(
                school=school, host_unit=college, kind=kind, name=name, phone="13900000000",
                email="parent@example.com", purpose=purpose,
                valid_from=today + timedelta(days=start), valid_until=today + timedelta(days=end),
                applied_by=dept_admin, applied_at=now - timedelta(days=12),
                idempotency_key=f"demo-visitor-{name}", **id_fields(id_number),
            )  # fmt: skip
            visitors.decide_application(application=application, user=hr, approve=True)
            lines.append(f"{name} {visitors.person_number(application)} (expired)")
            continue
        if outcome.ok and decision == "approve":
            visitors.decide_application(application=outcome.obj, user=hr, approve=True)
            lines.append(f"{name} {visitors.person_number(outcome.obj)}")
    return lines


def load_demo(*, school: OrgUnit, now: datetime) -> list[str]:
    rng = random.Random(4)
    adviser = _user(school, "T1001")
    dept_admin = _user(school, "T1002")
    hr = _user(school, "T1003")
    health = _user(school, "T1004")
    demo_class = OrgUnit.objects.filter(name=DEMO_CLASS, path__startswith=school.path).first()
    classmates = (
        list(
            Person.objects.filter(org_unit=demo_class, user__isnull=False)
            .select_related("org_unit", "school")
            .order_by("number")
        )
        if demo_class
        else []
    )
    counts = _reports_and_makeups(school, classmates, adviser, now, rng) if classmates else {}
    manual = (
        _manual(school, classmates[NO_PHONE_STUDENT_INDEX], adviser, now, rng)
        if len(classmates) > NO_PHONE_STUDENT_INDEX
        else 0
    )
    opened = _cases(school, health, now)
    placed = _isolations(school, health, now, rng)
    visitor_lines = _visitors(school, dept_admin, hr, now)
    return [
        f"Approvals (adviser T1001 or dept admin T1002): {{base}}/followup/queue/ — "
        f"{counts.get('pending', 0)} advance reports and {counts.get('makeups', 0)} make-ups waiting",
        "Advance report / make-up as a student (20250101): {base}/followup/ ; excused windows "
        "show in {base}/checkins/lists/ (filter 'Excused')",
        f"Manual registration (T1001): {{base}}/followup/manual/ — {manual} for one student "
        "without a phone, over the limit: flagged on T1002's {base}/followup/dashboard/",
        f"Health follow-up (health office T1004): {{base}}/followup/dashboard/ — {opened} cases, "
        f"{placed} people under isolation/observation with missing reports",
        "Visitor codes (apply as T1002, approve as T1003): {base}/followup/visitors/ — "
        + ", ".join(visitor_lines),
    ]
