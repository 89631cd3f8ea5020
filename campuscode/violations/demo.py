"""Demo violation cases at different stages (R8): one waiting for the notice, one waiting
for the demo student's statement on the phone, one under appeal, one in force, one whose
sanction was lifted."""

from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User

from campuscode.accounts.forms import person_username
from campuscode.core.demo import DEMO_STUDENT, PASSWORD
from campuscode.people.models import OrgUnit, Person, Role, RoleAssignment
from campuscode.violations import services
from campuscode.violations.models import ViolationCase
from campuscode.violations.sources import Found

OFFICE_LOGIN, COMMITTEE_LOGIN = "T2001", "T2002"


def _account(school, unit_name, number, name, role) -> User:
    unit = OrgUnit.objects.get(path__startswith=school.path, name=unit_name)
    user = User.objects.create(
        username=person_username(school=school, number=number), password=make_password(PASSWORD)
    )
    Person.objects.create(
        school=school,
        number=number,
        name=name,
        kind=Person.Kind.STAFF,
        org_unit=unit,
        user=user,
    )
    RoleAssignment.objects.create(user=user, role=role, org_unit=school)
    return user


def _open(reporter, person, vtype, facts, at) -> ViolationCase:
    found = Found(source="report", ref="", person=person, vtype=vtype, summary=[])
    return services.open_case(actor=reporter, found=found, vtype=vtype, facts=facts, now=at).case


def load_demo(*, school: OrgUnit, now: datetime) -> list[str]:
    office = _account(school, "学生处", OFFICE_LOGIN, "冯振华", Role.DISCIPLINE_OFFICE)
    _account(school, "校长办公室", COMMITTEE_LOGIN, "韩雪梅", Role.APPEALS_COMMITTEE)
    adviser = User.objects.get(username=person_username(school=school, number="T1001"))
    guard = User.objects.get(username=person_username(school=school, number="T1005"))
    students = list(
        Person.objects.filter(school=school, org_unit__name="计科2501班", user__isnull=False)
        .select_related("user", "org_unit")
        .order_by("number")
    )
    demo_student = next(p for p in students if p.number == DEMO_STUDENT)
    others = [p for p in students if p.number != DEMO_STUDENT]
    day = timedelta(days=1)

    # 1. The demo student: notified, the statement window open (answer it on the phone).
    case = _open(
        adviser,
        demo_student,
        "missed",
        "本周一至周三连续三天未在规定时间内打卡，也未提前报备或补卡。",
        now - 2 * day,
    )
    services.send_notice(case=case, actor=office, now=now - day)

    # 2. Under appeal: a borrowed code, decided above the proposal with a reason.
    case = _open(
        guard,
        others[0],
        "borrowed",
        "南门闸机记录显示其校园码在同一分钟内于南门和东门先后出现，系将校园码交给他人使用。",
        now - 9 * day,
    )
    services.send_notice(case=case, actor=office, now=now - 8 * day)
    services.give_statement(
        case=case,
        actor=others[0].user,
        statement="我把手机借给室友去取快递，不知道他用了我的校园码进校门。",
        now=now - 7 * day,
    )
    services.decide(
        case=case,
        actor=office,
        step="serious_warning",
        reasons="将本人校园码交由他人使用，影响出入管理。",
        deviation_reason="同一周内两次出现，情节较重。",
        suspend_on_appeal=True,
        now=now - 5 * day,
    )
    services.appeal(
        case=case,
        actor=others[0].user,
        text="我并非有意让他人使用，且是第一次，请求改为警告。",
        now=now - 3 * day,
    )

    # 3. In force: a warning with its term running, referred for epidemic-control risk.
    case = _open(
        adviser,
        others[1],
        "false",
        "3月10日打卡填报体温36.5℃，当日校医院测得38.2℃，本人承认未如实填报。",
        now - 40 * day,
    )
    services.send_notice(case=case, actor=office, now=now - 39 * day)
    services.give_statement(
        case=case,
        actor=others[1].user,
        self_review="我没有如实填报体温，给同学带来了风险，今后一定如实填报。",
        now=now - 38 * day,
    )
    services.decide(
        case=case,
        actor=office,
        step="warning",
        reasons="隐瞒发热，未如实填报健康信息。",
        deviation_reason="隐瞒发热期间仍进入教室上课，情节较重。",
        epidemic_referral=True,
        now=now - 36 * day,
    )

    # 4. A warning whose term ended: lifted by the daily run (解除).
    case = _open(
        adviser,
        others[2],
        "other",
        "冒用同学身份为其代为打卡。",
        now - 220 * day,
    )
    services.send_notice(case=case, actor=office, now=now - 219 * day)
    services.give_statement(case=case, actor=others[2].user, waive=True, now=now - 218 * day)
    services.decide(
        case=case,
        actor=office,
        step="warning",
        reasons="代人打卡，违反打卡制度。",
        deviation_reason="代打卡多达五次。",
        term_months=6,
        now=now - 215 * day,
    )
    services.run_daily(now=now - 200 * day)  # final
    services.run_daily(now=now)  # the term is over: lifted

    # 5. Just reported by the gate staff: waiting for the office's notice.
    _open(
        guard,
        others[3],
        "device",
        "在一教东门打卡点故意遮挡并拍打打卡屏幕，致屏幕损坏。",
        now - 2 * 3600 * timedelta(seconds=1),
    )
    return [
        f"Violations, deciding office {OFFICE_LOGIN}: /violations/ — one case to notify, one "
        "under appeal, one decided; /violations/consistency/ for decisions by type and unit",
        f"Violations, appeals committee {COMMITTEE_LOGIN}: /violations/appeals/ — review the "
        "appeal (upheld, changed or revoked), or extend it once",
        f"Violations, the student {DEMO_STUDENT}: /violations/mine/ — read the notice of facts "
        "and rights, give a statement and self-review on the phone",
        "Violations, report from evidence (adviser T1001): the “report a violation” link on an "
        "anomaly case or a check-in flag",
    ]
