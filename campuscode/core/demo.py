"""The demo school: 示范大学 with two campuses, colleges, classes, offices, ~800 students,
~80 staff, one account per role, and whatever history the other apps add on top.

Deterministic (a fixed random seed), so the printed logins and hints always match.
"""

import importlib
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from campuscode.accounts.forms import person_username
from campuscode.audit.services import log_action
from campuscode.people.models import OrgUnit, Person, Role, RoleAssignment
from campuscode.people.services import checksum_char, id_fields

SCHOOL_NAME, SCHOOL_CODE = "示范大学", "DEMO"
PASSWORD = "demo-2026"
# Apps that add their own demo data, in order; a missing module is skipped.
APP_LOADERS = [
    "campuscode.accounts",
    "campuscode.roster",
    "campuscode.checkins",
    "campuscode.gates",
    "campuscode.followup",
    "campuscode.privacy",
    "campuscode.attendance",  # attendance (issue 11)
    "campuscode.events",  # events (R2.5)
    "campuscode.anomalies",  # anomalies2: after the history, the fevers and isolations
    "campuscode.supervision",  # supervision (R7)
    "campuscode.violations",  # after the people and accounts it names
    "campuscode.analytics",  # analytics: next to last, it counts what the others made
    "campuscode.backups",  # backups: last, so the demo's backup holds everything above
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红娟建国志文斌宇浩然子轩梓涵一诺欣怡雨桐思远"
    "俊杰晨曦嘉怡佳琪语嫣浩宇皓轩博文天佑梦琪诗涵晓彤雅静家豪鹏飞海燕春梅秋月冬青振华立新永强德明"
)
REGIONS = [
    "110101",
    "310104",
    "440106",
    "320102",
    "510104",
    "420111",
    "330106",
    "370102",
    "610113",
    "500103",
]

STRUCTURE = {
    "主校区": {
        "计算机学院": ["计科2501班", "计科2502班", "软件2501班", "计科2401班"],
        "机械工程学院": ["机械2501班", "机械2401班"],
        "经济管理学院": ["会计2501班", "工商2501班"],
    },
    "东校区": {
        "外国语学院": ["英语2501班", "日语2501班", "英语2401班"],
        "艺术学院": ["美术2501班", "音乐2501班"],
    },
}
OFFICES = {
    "主校区": [
        "校医院",
        "保卫处",
        "人事处",
        "学生处",
        "信息中心",
        "校长办公室",
        "审计处",
        "教务处",
    ],
    "东校区": ["东校区综合办公室"],
}
STUDENTS_PER_CLASS = 60

# (number, name, unit name, role, scope unit name) — one login per role.
ROLE_ACCOUNTS = [
    ("T1001", "王建国", "计算机学院", Role.CLASS_ADVISER, "计科2501班"),
    ("T1002", "李海燕", "计算机学院", Role.DEPARTMENT_ADMIN, "计算机学院"),
    ("T1003", "赵丽", "人事处", Role.HR, SCHOOL_NAME),
    ("T1004", "陈慧敏", "校医院", Role.HEALTH_OFFICE, SCHOOL_NAME),
    ("T1005", "刘志强", "保卫处", Role.GATE_STAFF, SCHOOL_NAME),
    ("T1006", "孙立新", "校长办公室", Role.SUPERVISION, SCHOOL_NAME),
    ("T1007", "周文静", "计算机学院", Role.TEACHER, "计算机学院"),
    # Separation of duties: security alerts and the audit log are not the IT admin's.
    ("T1008", "吴海峰", "信息中心", Role.SECURITY_ADMIN, SCHOOL_NAME),
    ("T1009", "郑晓红", "审计处", Role.AUDITOR, SCHOOL_NAME),
    # attendance (issue 11): the academic office imports the timetable.
    ("T1010", "钱学敏", "教务处", Role.ACADEMIC_OFFICE, SCHOOL_NAME),
]
DEMO_STUDENT = "20250101"


@dataclass
class DemoResult:
    school: OrgUnit
    seconds: float
    lines: list[str] = field(default_factory=list)


def demo_exists() -> bool:
    return OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL, code=SCHOOL_CODE).exists()


def _id_number(rng: random.Random, birth: date) -> str:
    first17 = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + checksum_char(first17)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _phone(rng: random.Random) -> str:
    return (
        rng.choice(["138", "139", "136", "150", "151", "158", "186", "187", "177", "199"])
        + f"{rng.randrange(10**8):08d}"
    )


def _birth(rng: random.Random, first_year: int, last_year: int) -> date:
    return date(rng.randint(first_year, last_year), rng.randint(1, 12), rng.randint(1, 28))


@transaction.atomic
def _build_registry(rng: random.Random) -> tuple[OrgUnit, dict[str, OrgUnit]]:
    school = OrgUnit.objects.create(kind=OrgUnit.Kind.SCHOOL, name=SCHOOL_NAME, code=SCHOOL_CODE)
    units = {SCHOOL_NAME: school}
    people: list[Person] = []
    for campus_name, colleges in STRUCTURE.items():
        campus = units[campus_name] = OrgUnit.objects.create(
            parent=school, kind=OrgUnit.Kind.CAMPUS, name=campus_name
        )
        for office in OFFICES[campus_name]:
            units[office] = OrgUnit.objects.create(
                parent=campus, kind=OrgUnit.Kind.OFFICE, name=office
            )
        for college_name, classes in colleges.items():
            college = units[college_name] = OrgUnit.objects.create(
                parent=campus, kind=OrgUnit.Kind.COLLEGE, name=college_name
            )
            for class_name in classes:
                unit = units[class_name] = OrgUnit.objects.create(
                    parent=college, kind=OrgUnit.Kind.CLASS, name=class_name
                )
                year = 2000 + int(class_name[-5:-3])
                for seat in range(1, STUDENTS_PER_CLASS + 1):
                    number = f"{year}{len(units):02d}{seat:02d}"
                    people.append(
                        _person(
                            rng, school, unit, number, Person.Kind.STUDENT, year - 19, year - 17
                        )
                    )
    # Fix the demo student's number so the printed login always works.
    first_class = units["计科2501班"]
    demo_student = next(p for p in people if p.org_unit is first_class)
    demo_student.number, demo_student.name = DEMO_STUDENT, "张小伟"
    staff_units = [
        u for n, u in units.items() if u.kind in (OrgUnit.Kind.COLLEGE, OrgUnit.Kind.OFFICE)
    ]
    for number, name, unit_name, _role, _scope in ROLE_ACCOUNTS:
        staff = _person(rng, school, units[unit_name], number, Person.Kind.STAFF, 1970, 1990)
        staff.name = name
        people.append(staff)
    for seq in range(len(ROLE_ACCOUNTS) + 1, 81):
        people.append(
            _person(
                rng,
                school,
                rng.choice(staff_units),
                f"T{1000 + seq}",
                Person.Kind.STAFF,
                1965,
                1995,
            )
        )
    for seq in range(1, 6):
        people.append(
            _person(
                rng,
                school,
                units["校长办公室" if seq < 3 else "信息中心"],
                f"L{seq:04d}",
                Person.Kind.TEMPORARY,
                1975,
                2000,
            )
        )
    Person.objects.bulk_create(people, batch_size=500)
    return school, units


def _person(rng, school, unit, number, kind, first_year, last_year) -> Person:
    id_number = _id_number(rng, _birth(rng, first_year, last_year))
    domain = "stu.demo.edu.cn" if kind == Person.Kind.STUDENT else "demo.edu.cn"
    return Person(
        school=school,
        number=number,
        name=_name(rng),
        kind=kind,
        org_unit=unit,
        phone=_phone(rng),
        email=f"{number.lower()}@{domain}",
        **id_fields(id_number),
    )


@transaction.atomic
def _build_accounts(rng: random.Random, school: OrgUnit, units: dict[str, OrgUnit]) -> list[str]:
    # One hash for every demo account: hashing 900 passwords would take minutes.
    password_hash = make_password(PASSWORD)
    now = timezone.now()
    people = list(Person.objects.filter(school=school).order_by("number"))
    # Most people have claimed their code; a few students are left to try the claim flow.
    unclaimed = {
        p.pk
        for p in people
        if p.kind == Person.Kind.STUDENT and p.number != DEMO_STUDENT and rng.random() < 0.12
    }
    claimers = [p for p in people if p.pk not in unclaimed]
    User.objects.bulk_create(
        [
            User(
                username=person_username(school=school, number=p.number),
                password=password_hash,
                email=p.email,
            )
            for p in claimers
        ],
        batch_size=500,
    )
    users = {u.username: u for u in User.objects.filter(username__endswith=f"@{school.code}")}
    for person in claimers:
        person.user = users[person_username(school=school, number=person.number)]
        person.claimed_at = now
    Person.objects.bulk_update(claimers, ["user", "claimed_at"], batch_size=500)
    for number, _name, _unit, role, scope in ROLE_ACCOUNTS:
        RoleAssignment.objects.create(
            user=users[person_username(school=school, number=number)],
            role=role,
            org_unit=units[scope],
        )
    # The everyday system admin is no superuser: no back door around the access layer.
    admin = User.objects.create(username="itadmin", password=password_hash)
    RoleAssignment.objects.create(user=admin, role=Role.SYSTEM_ADMIN, org_unit=school)
    log_action(
        action="core.demo.loaded",
        actor=admin,
        data={"people": len(people), "accounts": len(claimers) + 1},
    )
    return []  # the accounts app's demo prints which people are left to claim


def load_demo(*, now: datetime | None = None, stdout=None) -> DemoResult:
    """Create the demo school once. Returns the lines to print (URLs, hints)."""
    started = time.monotonic()
    now = now or timezone.now()
    rng = random.Random(2026)
    school, units = _build_registry(rng)
    lines = _build_accounts(rng, school, units)
    for module_name in APP_LOADERS:
        try:
            module = importlib.import_module(f"{module_name}.demo")
        except ModuleNotFoundError as error:
            if error.name == f"{module_name}.demo":
                continue
            raise
        app_started = time.monotonic()
        lines += module.load_demo(school=school, now=now) or []
        if stdout:
            stdout.write(f"  {module_name}: {time.monotonic() - app_started:.1f} s")
    return DemoResult(school, time.monotonic() - started, lines)


def demo_logins() -> list[tuple[str, str, str]]:
    """(role label, sign-in name, scope) for the printed table."""
    rows = [(str(Person.Kind.STUDENT.label), DEMO_STUDENT, "计科2501班")]
    rows += [
        (str(Role(role).label), number, scope) for number, _n, _u, role, scope in ROLE_ACCOUNTS
    ]
    rows.append((str(Role.SYSTEM_ADMIN.label), "itadmin", SCHOOL_NAME))
    return rows
