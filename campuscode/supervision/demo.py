"""Demo: a spot check drawn and counted, a notice being rectified, one overdue and escalated."""

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from campuscode.casework.deadlines import send_deadline_reminders
from campuscode.checkins.models import Checkin
from campuscode.people.models import OrgUnit, Role, RoleAssignment
from campuscode.supervision import services
from campuscode.supervision.models import EventKind, PlanKind, Severity


def _user(school, number):
    return User.objects.filter(username__startswith=f"{number}@").first()


def load_demo(*, school: OrgUnit, now: datetime) -> list[str]:
    lead, dean = _user(school, "T1006"), _user(school, "T1002")
    if lead is None or dean is None:
        return []
    # The group: its lead (T1006) and two members from the health office and HR.
    pool = [lead]
    for number in ("T1004", "T1003"):
        member = _user(school, number)
        RoleAssignment.objects.get_or_create(user=member, role=Role.SUPERVISION, org_unit=school)
        pool.append(member)
    college = OrgUnit.objects.get(parent__parent=school, name="计算机学院")
    classes = list(OrgUnit.objects.filter(parent=college).order_by("pk")[:4])
    plan = services.create_plan(
        actor=lead,
        school=school,
        kind=PlanKind.SPOT,
        title="本周签到真实性抽查",
        scope=classes,
        checklist=[
            "签到记录与现场实到人数一致",
            "签到点海报张贴、二维码可扫",
            "抽问学生是否了解签到规定",
        ],
        pool=pool,
        starts_at=now - timedelta(hours=2),
    )
    draw = services.make_draw(
        actor=lead, plan=plan, units_count=1, inspectors_count=2, seed="demo-2026"
    ).value
    unit = OrgUnit.objects.get(pk=draw.units[0])
    last = Checkin.objects.filter(person__org_unit=unit).order_by("-day").first()
    day, period = (last.day, last.period) if last else (timezone.localdate(now), "morning")
    recorded = len(services.records_for(unit=unit, day=day, period=period))
    headcount = services.record_headcount(
        actor=lead,
        plan=plan,
        unit=unit,
        day=day,
        period=period,
        counted=max(recorded - 3, 0),
        present=[],
        now=now,
    ).value
    finding = headcount.finding or services.record_finding(
        actor=lead,
        school=school,
        plan=plan,
        unit=unit,
        severity=Severity.MAJOR,
        criterion="签到记录与现场实到人数一致",
        description="现场清点人数少于签到记录。",
        applies_on=day,
    )
    notice = services.issue_notice(actor=lead, finding=finding, now=now - timedelta(days=1))
    services.take_step(actor=dean, notice=notice, step=EventKind.ACKNOWLEDGED, now=now)
    services.take_step(
        actor=dean,
        notice=notice,
        step=EventKind.REPORTED,
        now=now,
        text="已约谈班级负责人，明确签到须本人到场；附班会记录和签到复核表。",
    )
    # An older notice, never answered: overdue and escalated.
    old = services.record_finding(
        actor=lead,
        school=school,
        plan=plan,
        unit=college,
        severity=Severity.MINOR,
        criterion="签到点海报张贴、二维码可扫",
        description="一教东门签到点海报缺失，二维码无法扫描。",
        applies_on=timezone.localdate(now) - timedelta(days=20),
    )
    services.issue_notice(actor=lead, finding=old, now=now - timedelta(days=20))
    send_deadline_reminders(now=now)
    return [
        "Supervision (group lead T1006): /supervision/ — a drawn spot check with its seed, a "
        "headcount finding, a notice awaiting verification, one overdue and escalated; "
        "ledger as XLSX",
        "Rectification (dept admin T1002): /supervision/ — only 计算机学院's notices",
    ]
