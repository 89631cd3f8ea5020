"""The scope matrix: every role × every page or API that shows personal data.

The expectations below are written out by hand (not derived from people/access.py), so a change
to ROLE_CAPABILITIES or to a page's scope check that widens access fails here.

To cover a new page, add ONE line to PERSON_PAGES (a page about one person, `{pk}` in its
URL), LIST_PAGES (a list or export) or OWN_PAGES (a page about the signed-in user only).
"""

import io
import re
from dataclasses import dataclass

import openpyxl
import pytest
from django.utils import timezone

from campuscode.audit.models import AuditEntry
from campuscode.codes.tokens import verify_token
from campuscode.people.access import Cap, has_capability
from campuscode.people.models import Person, Role
from conftest import sign_in

pytestmark = pytest.mark.django_db

ROLES = [
    "adviser",
    "teacher",
    "dept_admin",
    "hr",
    "health",
    "gate",
    "supervision",
    "sysadmin",
    "security",
    "auditor",
    "student",
    "outsider",
    "organiser",  # events (R2.5)
    # Violations (R8)
    "discipline",
    "committee",
]
TARGETS = ["s_cs2501", "s_cs2502", "s_en", "staff_cs", "staff_hr", "temp_lang"]
ALL = set(TARGETS)
CS = {"s_cs2501", "s_cs2502", "staff_cs"}
STAFF = {"staff_cs", "staff_hr", "temp_lang"}  # HR's duty: staff and temporary workers

# Which roles hold a capability at all (the rest get 403 for a page that needs it).
HOLDERS = {
    Cap.VIEW_PEOPLE: {
        "adviser",
        "teacher",
        "dept_admin",
        "hr",
        "health",
        "supervision",
        "sysadmin",
    },
    Cap.REVEAL: {"adviser", "dept_admin", "hr", "health", "sysadmin"},
    Cap.EDIT_PEOPLE: {"dept_admin", "hr", "sysadmin"},
    Cap.IMPORT_PEOPLE: {"dept_admin", "hr", "sysadmin"},
    Cap.VIEW_HEALTH: {"adviser", "dept_admin", "health", "supervision"},
    Cap.MANAGE_HEALTH: {"health"},
    Cap.FOLLOW_CASES: {"dept_admin", "health"},
    Cap.APPROVE_REQUESTS: {"adviser", "dept_admin"},
    Cap.DECIDE_VISITORS: {"dept_admin", "hr", "sysadmin"},
    Cap.VIEW_GATES: {"gate", "supervision", "sysadmin"},
    Cap.MANAGE_GATES: {"gate", "sysadmin"},
    # Separation of duties: the system admin does not read the log of their own actions.
    Cap.VIEW_AUDIT: {"supervision", "security", "auditor"},
    Cap.MANAGE_SETTINGS: {"sysadmin"},
    Cap.MANAGE_ACCOUNTS: {"sysadmin"},
    Cap.SECURITY_ALERTS: {"security"},
    Cap.MANAGE_BACKUPS: {"sysadmin"},  # backups
    # supervision (R7)
    Cap.INSPECT: {"supervision"},
    Cap.RECTIFY: {"dept_admin"},
    # attendance (issue 11)
    Cap.TAKE_ATTENDANCE: {"teacher"},
    Cap.VIEW_ATTENDANCE: {"adviser", "dept_admin", "supervision"},
    Cap.MANAGE_TIMETABLE: set(),
    Cap.APPROVE_ATTENDANCE: {"dept_admin"},
    # events (R2.5)
    Cap.RUN_EVENTS: {"organiser"},
    # Violations (R8): need-to-know.
    Cap.REPORT_VIOLATIONS: {"adviser", "dept_admin", "health", "gate", "supervision", "discipline"},
    Cap.VIEW_VIOLATIONS: {"adviser", "dept_admin", "discipline"},
    Cap.DECIDE_VIOLATIONS: {"discipline"},
    Cap.REVIEW_APPEALS: {"committee"},
    Cap.VIOLATION_STATS: {"supervision", "discipline", "committee"},
}

# Whom each role reaches with a capability. "student" is s_cs2501's own account.
SCHOOL_WIDE = {"health", "gate", "supervision", "sysadmin", "security", "auditor"}
SCHOOL_WIDE |= {"discipline", "committee"}  # violations (R8)


def _reach(role: str, capability: str) -> set[str]:
    if role not in HOLDERS[capability]:
        return set()
    if role == "adviser":
        return {"s_cs2501"}
    if role in ("teacher", "dept_admin"):
        return CS
    if role == "hr":
        return STAFF
    return ALL if role in SCHOOL_WIDE else set()


SCOPES = {cap: {role: _reach(role, cap) for role in ROLES} for cap in HOLDERS}
# Anyone signed in sees their own registry record.
SCOPES[Cap.VIEW_PEOPLE]["student"] = {"s_cs2501"}
# Gate staff read passages at the gates of their campus, whoever passed: all six here.
SCOPES[Cap.VIEW_GATES] = {
    role: (ALL if role in HOLDERS[Cap.VIEW_GATES] else set()) for role in ROLES
}
# A violation case: those who read the person's cases, and the committee (the world's
# cases are all under appeal).
SCOPES["violations.case"] = {
    role: _reach(role, Cap.VIEW_VIOLATIONS) | _reach(role, Cap.REVIEW_APPEALS) for role in ROLES
}


def _person_pk(world, person) -> int:
    return person.pk


def _case_pk(world, person) -> int:
    return world.cases[person.pk].pk


def _attachment_pk(world, person) -> int:
    return world.attachments[person.pk].pk


def _isolation_pk(world, person) -> int:
    return world.isolations[person.pk].pk


def _anomaly_pk(world, person) -> int:
    return world.anomalies[person.pk].pk


def _violation_pk(world, person) -> int:
    return world.violations[person.pk].pk


def _account_pk(world, person) -> int:
    return person.user_id


@dataclass(frozen=True)
class PersonPage:
    """A page about one person's data: `path` has {pk}, the id `make` returns for a target.

    `cap`: the capability the page needs at all (403 without it; None: any signed-in user,
    who then sees only what `scope` reaches, 404 for the rest). `own`: whether a person
    opens the page about themself."""

    name: str
    path: str
    method: str
    scope: str
    action: str
    cap: str | None = None
    make: object = _person_pk
    own: bool = True


@dataclass(frozen=True)
class ListPage:
    name: str
    path: str
    cap: str
    action: str
    shows: str | None = None  # the capability whose scope decides whom it lists


@dataclass(frozen=True)
class OwnPage:
    name: str
    path: str


H = Cap
PERSON_PAGES = [
    PersonPage("detail", "/people/{pk}/", "get", H.VIEW_PEOPLE, "people.profile.viewed"),
    PersonPage(
        "account",
        "/people/accounts/{pk}/",
        "get",
        H.MANAGE_ACCOUNTS,
        "people.account.viewed",
        H.MANAGE_ACCOUNTS,
        make=_account_pk,
        own=False,
    ),
    PersonPage(
        "reveal", "/people/{pk}/reveal/", "post", H.REVEAL, "people.contact.revealed", H.REVEAL
    ),
    PersonPage(
        "edit", "/people/{pk}/edit/", "get", H.EDIT_PEOPLE, "people.edit.viewed", H.EDIT_PEOPLE
    ),
    PersonPage(
        "health history",
        "/checkins/people/{pk}/",
        "get",
        H.VIEW_HEALTH,
        "checkins.history.viewed",
        H.VIEW_HEALTH,
        own=False,
    ),
    PersonPage(
        "follow-up case",
        "/followup/cases/{pk}/",
        "get",
        H.FOLLOW_CASES,
        "followup.case.viewed",
        make=_case_pk,
    ),
    PersonPage(
        "case attachment",
        "/followup/attachments/{pk}/",
        "get",
        H.FOLLOW_CASES,
        "followup.attachment.viewed",
        make=_attachment_pk,
    ),
    PersonPage(
        "isolation",
        "/followup/isolations/{pk}/",
        "get",
        H.MANAGE_HEALTH,
        "followup.isolation.viewed",
        H.MANAGE_HEALTH,
        make=_isolation_pk,
        own=False,
    ),
    PersonPage(
        "anomaly case",
        "/anomalies/{pk}/",
        "get",
        H.VIEW_HEALTH,
        "anomalies.case.viewed",
        H.VIEW_HEALTH,
        make=_anomaly_pk,
        own=False,
    ),
    # attendance (issue 11)
    PersonPage(
        "attendance record",
        "/attendance/students/{pk}/",
        "get",
        H.VIEW_ATTENDANCE,
        "attendance.student.viewed",
        cap=H.VIEW_ATTENDANCE,
        own=False,
    ),
    # Violations (R8): the person, their adviser and department, the deciding office, and
    # the committee (the world's cases are under appeal).
    PersonPage(
        "violation case",
        "/violations/{pk}/",
        "get",
        "violations.case",
        "violations.case.viewed",
        make=_violation_pk,
    ),
    PersonPage(
        "violation letter",
        "/violations/{pk}/letter.pdf",
        "get",
        "violations.case",
        "violations.letter.downloaded",
        make=_violation_pk,
    ),
]

LIST_PAGES = [
    ListPage("people list", "/people/", H.VIEW_PEOPLE, "people.list.viewed", H.VIEW_PEOPLE),
    ListPage(
        "people export", "/people/export.xlsx", H.VIEW_PEOPLE, "people.list.exported", H.VIEW_PEOPLE
    ),
    ListPage(
        "check-in lists",
        "/checkins/lists/?show=all&day=2026-03-02&period=morning",
        H.VIEW_HEALTH,
        "checkins.list.viewed",
        H.VIEW_HEALTH,
    ),
    ListPage(
        "check-in export",
        "/checkins/lists/export.xlsx?show=all&day=2026-03-02&period=morning",
        H.VIEW_HEALTH,
        "checkins.list.exported",
        H.VIEW_HEALTH,
    ),
    ListPage(
        "check-in flags",
        "/checkins/flags/?first=2026-03-02&last=2026-03-02",
        H.VIEW_HEALTH,
        "checkins.flags.viewed",
        H.VIEW_HEALTH,
    ),
    ListPage(
        "check-in flags export",
        "/checkins/flags/export.xlsx?first=2026-03-02&last=2026-03-02",
        H.VIEW_HEALTH,
        "checkins.flags.exported",
        H.VIEW_HEALTH,
    ),
    ListPage(
        "approvals", "/followup/queue/", H.VIEW_HEALTH, "followup.queue.viewed", H.APPROVE_REQUESTS
    ),
    ListPage(
        "follow-up dashboard", "/followup/dashboard/", H.VIEW_HEALTH, "followup.dashboard.viewed"
    ),
    ListPage(
        "manual registration", "/followup/manual/", H.APPROVE_REQUESTS, "followup.manual.viewed"
    ),
    ListPage("anomaly cases", "/anomalies/", H.VIEW_HEALTH, "anomalies.list.viewed", H.VIEW_HEALTH),
    ListPage("visitors", "/followup/visitors/", H.DECIDE_VISITORS, "followup.visitors.viewed"),
    ListPage(
        "staff on several campuses",
        "/checkins/campuses/",
        H.EDIT_PEOPLE,
        "checkins.campuses.viewed",
        H.EDIT_PEOPLE,
    ),
    ListPage("gate live view", "/gates/", H.VIEW_GATES, "gates.live.viewed"),
    ListPage("gate events", "/gates/events/", H.VIEW_GATES, "gates.events.viewed", H.VIEW_GATES),
    ListPage(
        "gate events export",
        "/gates/events/export.xlsx",
        H.VIEW_GATES,
        "gates.events.exported",
        H.VIEW_GATES,
    ),
    ListPage("audit log", "/audit/", H.VIEW_AUDIT, "audit.log.viewed"),
    ListPage("audit csv", "/audit/export.csv", H.VIEW_AUDIT, "audit.log.exported"),
    ListPage("audit xlsx", "/audit/export.xlsx", H.VIEW_AUDIT, "audit.log.exported"),
    ListPage("accounts", "/people/accounts/", H.MANAGE_ACCOUNTS, "people.accounts.viewed"),
    ListPage(
        "violation cases",
        "/violations/?state=all",
        H.VIEW_VIOLATIONS,
        "violations.list.viewed",
        H.VIEW_VIOLATIONS,
    ),
    ListPage(
        "appeals",
        "/violations/appeals/",
        H.REVIEW_APPEALS,
        "violations.list.viewed",
        H.REVIEW_APPEALS,
    ),
    ListPage(  # counts only: shows nobody by name
        "violation consistency",
        "/violations/consistency/",
        H.VIOLATION_STATS,
        "violations.consistency.viewed",
    ),
    ListPage(
        "personal data requests",
        "/privacy/requests/",
        H.EDIT_PEOPLE,
        "privacy.requests.viewed",
        H.EDIT_PEOPLE,
    ),
    # backups: no one's personal data, but the system admin's alone (where the data lies)
    ListPage("backup status", "/backups/", H.MANAGE_BACKUPS, "backups.status.viewed"),
    # analytics: figures per unit, no one's record (their scope: analytics/tests/test_pages.py)
    ListPage("health analysis", "/analytics/", H.VIEW_HEALTH, "analytics.dashboard.viewed"),
    ListPage(
        "health analysis export",
        "/analytics/export.xlsx",
        H.VIEW_HEALTH,
        "analytics.dashboard.exported",
    ),
    ListPage("gate traffic", "/analytics/gates/", H.VIEW_GATES, "analytics.gates.viewed"),
    ListPage(
        "gate traffic export",
        "/analytics/gates/export.xlsx",
        H.VIEW_GATES,
        "analytics.gates.exported",
    ),
    ListPage("periodic reports", "/analytics/reports/", H.VIEW_HEALTH, "analytics.reports.viewed"),
    # attendance (issue 11): the world has no sessions, so these list nobody; scope is
    # checked in attendance/tests/test_scope.py.
    ListPage(
        "attendance reports", "/attendance/reports/", H.VIEW_ATTENDANCE, "attendance.report.viewed"
    ),
    ListPage(
        "attendance export",
        "/attendance/reports/export.xlsx",
        H.VIEW_ATTENDANCE,
        "attendance.report.exported",
    ),
    ListPage(
        "my courses' attendance",
        "/attendance/my-reports/",
        H.TAKE_ATTENDANCE,
        "attendance.report.viewed",
    ),
    ListPage(
        "my courses' attendance export",
        "/attendance/my-reports/export.xlsx",
        H.TAKE_ATTENDANCE,
        "attendance.report.exported",
    ),
    # events (R2.5)
    ListPage(
        "event absences",
        "/events/reviews/",
        H.APPROVE_REQUESTS,
        "events.reviews.viewed",
        H.APPROVE_REQUESTS,
    ),
]

OWN_PAGES = [OwnPage("my code", "/code/"), OwnPage("my code panel", "/code/panel/")]

MONDAY_MORNING = "2026-03-02 08:30 +0800"


class World:
    def __init__(self, tree):
        from django.core.files.base import ContentFile

        from campuscode.anomalies.models import AnomalyCase
        from campuscode.checkins.models import CampusAssignment, Checkin, CheckinPoint, Flag
        from campuscode.followup.models import AdvanceReport, CaseEvent, FollowupCase, Isolation
        from campuscode.gates.models import GateEvent, Place
        from campuscode.gates.services import register_gate
        from campuscode.privacy.models import DataRequest

        self.tree = tree
        security = tree.unit(tree.main_campus, "office", "保卫处")
        leaders = tree.unit(tree.main_campus, "office", "校长办公室")
        staff, temp = Person.Kind.STAFF, Person.Kind.TEMPORARY
        self.people = {
            "s_cs2501": tree.person("张小伟", tree.cs_2501),
            "s_cs2502": tree.person("刘洋", tree.cs_2502),
            "s_en": tree.person("李娜", tree.en_2501),
            "staff_cs": tree.person("陈老师", tree.cs, kind=staff, number="T0100"),
            "staff_hr": tree.person("赵丽", tree.hr_office, kind=staff, number="T0101"),
            "temp_lang": tree.person("孙师傅", tree.lang, kind=temp, number="L0001"),
        }

        def holder(name, number, unit, role, scope):
            person = tree.person(name, unit, kind=staff, number=number)
            return tree.account("", (role, scope), person=person)

        self.users = {
            "adviser": holder("王老师", "T0001", tree.cs, Role.CLASS_ADVISER, tree.cs_2501),
            "teacher": holder("周老师", "T0002", tree.cs, Role.TEACHER, tree.cs),
            "dept_admin": holder("李海燕", "T0003", tree.cs, Role.DEPARTMENT_ADMIN, tree.cs),
            "hr": holder("钱人事", "T0004", tree.hr_office, Role.HR, tree.school),
            "health": holder("陈医生", "T0005", tree.clinic, Role.HEALTH_OFFICE, tree.school),
            "gate": holder("刘保安", "T0006", security, Role.GATE_STAFF, tree.school),
            "supervision": holder("孙督导", "T0007", leaders, Role.SUPERVISION, tree.school),
            "sysadmin": tree.account("itadmin", (Role.SYSTEM_ADMIN, tree.school)),
            "security": tree.account("secadmin", (Role.SECURITY_ADMIN, tree.school)),
            "auditor": tree.account("auditor", (Role.AUDITOR, tree.school)),
            "student": self.people["s_cs2501"].user,
            "outsider": tree.account("outsider"),
            # events (R2.5)
            "organiser": holder("吴活动", "T0008", tree.cs, Role.EVENT_ORGANISER, tree.cs),
        }

        # Each target has a piece of every kind of personal data a page can show.
        now = timezone.now()
        day = timezone.localdate(now)
        point = CheckinPoint.objects.create(
            campus=tree.main_campus, building="一教", name="东门", kind="teaching"
        )
        place = Place.objects.create(
            campus=tree.main_campus, name="南门", kind=Place.Kind.CAMPUS_GATE
        )
        gate, _token = register_gate(place=place, name="南门闸机1")
        self.cases, self.attachments, self.isolations, self.anomalies = {}, {}, {}, {}
        for n, person in enumerate(self.people.values()):
            checkin = Checkin.objects.create(
                person=person,
                point=point,
                at=now,
                day=day,
                period="morning",
                temperature="36.5",
                colour="green",
                reason="normal",
                via="screen",
                idempotency_key=f"k{n}",
            )
            Flag.objects.create(checkin=checkin, reason=Flag.Reason.SHARED_DEVICE)
            AdvanceReport.objects.create(
                person=person,
                first_day=day,
                last_day=day,
                periods=["afternoon"],
                reason="家中有事",
                created_at=now,
                idempotency_key=f"r{n}",
            )
            case = FollowupCase.objects.create(
                person=person, trigger=FollowupCase.Trigger.FEVER, opened_at=now
            )
            self.cases[person.pk] = case
            event = CaseEvent(case=case, kind=CaseEvent.Kind.PROGRESS, at=now, text="已就医")
            event.attachment.save("note.png", ContentFile(PNG), save=False)
            event.save()
            self.attachments[person.pk] = event
            self.isolations[person.pk] = Isolation.objects.create(
                person=person,
                kind=Isolation.Kind.OBSERVATION,
                place="宿舍",
                reason="密接",
                starts_on=day,
                ends_on=day,
                created_at=now,
            )
            GateEvent.objects.create(
                gate=gate,
                place=place,
                direction="in",
                person=person,
                at=now,
                allowed=True,
                reason="ok",
                nonce=f"n{n}",
            )
            CampusAssignment.objects.create(person=person, campus=tree.east_campus)
            self.anomalies[person.pk] = AnomalyCase.objects.create(
                person=person,
                kind="missed_checkins",
                first_day=day,
                last_day=day,
                detail={"days": [day.isoformat()]},
                opened_at=now,
                deadline=now,
            )
            DataRequest.objects.create(
                person=person,
                kind="correction",
                text="手机号有误",
                created_at=now,
                idempotency_key=f"d{n}",
            )
        # events (R2.5): an absence from a mandatory event to review, for each target
        from campuscode.attendance.models import Session
        from campuscode.events.models import AbsenceReview, Event, EventSession

        event = Event.objects.create(
            school=tree.school, organiser_unit=tree.cs, title="安全教育", mandatory=True
        )
        session = Session.objects.create(
            school=tree.school, kind="event", title="安全教育", starts_at=now, ends_at=now
        )
        sitting = EventSession.objects.create(event=event, session=session)
        for person in self.people.values():
            AbsenceReview.objects.create(sitting=sitting, person=person, created_at=now, due_at=now)

        # Violations (R8): a case under appeal for each target.
        from campuscode.violations.models import Decision, ViolationCase

        self.users["discipline"] = holder(
            "周处长", "T0010", leaders, Role.DISCIPLINE_OFFICE, tree.school
        )
        self.users["committee"] = holder(
            "吴委员", "T0011", leaders, Role.APPEALS_COMMITTEE, tree.school
        )
        self.violations = {}
        for person in self.people.values():
            case = ViolationCase.objects.create(
                school=tree.school,
                person=person,
                unit=person.org_unit,
                vtype="missed",
                source="report",
                facts="未打卡",
                opened_at=now,
                notified_at=now,
                statement_due=now,
                state="appealed",
                step="criticism",
                decided_at=now,
                appeal_due=now,
                appealed_at=now,
                review_due=now,
            )
            Decision.objects.create(
                case=case,
                step="criticism",
                proposed_step="criticism",
                range_low="criticism",
                range_high="warning",
                reasons="批评教育",
                basis="第八条",
                number=f"校处字〔2026〕{person.pk}号",
                decided_at=now,
            )
            self.violations[person.pk] = case

    def expected(self, role: str, capability: str) -> set[str]:
        return SCOPES[capability].get(role, set())


# A 1×1 PNG: the attachment the cases carry.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f6500000000"
    "49454e44ae426082"
)


@pytest.fixture
def world(tree, time_machine, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    time_machine.move_to(MONDAY_MORNING, tick=False)
    return World(tree)


def _call(client, method: str, url: str):
    return client.post(url) if method == "post" else client.get(url)


def _body(response) -> bytes:
    if response.streaming:
        from django.core.signals import request_finished
        from django.db import close_old_connections

        body = b"".join(response.streaming_content)
        # A FileResponse holds its file until closed; closing sends request_finished,
        # which must not close the test's database connection (as the test client does).
        request_finished.disconnect(close_old_connections)
        try:
            response.close()
        finally:
            request_finished.connect(close_old_connections)
        return body
    return response.content


def _text(response, body: bytes) -> str:
    """What a person reading the response would see: the page, or every cell of a sheet."""
    if body[:2] == b"PK":
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return body.decode("utf-8", "replace")


def _audited(*, action: str, user, subject=None) -> int:
    entries = AuditEntry.objects.filter(action=action, actor=user, ip="127.0.0.1")
    if subject is not None:
        entries = entries.filter(subject=subject)
    return entries.count()


@pytest.mark.parametrize("page", PERSON_PAGES, ids=lambda p: p.name)
@pytest.mark.parametrize("role", ROLES)
def test_it_shows_a_person_page_only_inside_the_scope(client, world, page, role):
    user = world.users[role]
    sign_in(client, user)
    lacks_page = page.cap is not None and role not in HOLDERS[page.cap]
    reachable = set() if lacks_page else set(world.expected(role, page.scope))
    own = next((k for k in TARGETS if world.people[k].user_id == user.pk), None)
    if own and page.own and not lacks_page:
        reachable.add(own)
    for key in TARGETS:
        target = world.people[key]
        response = _call(client, page.method, page.path.format(pk=page.make(world, target)))
        body = _body(response).decode("utf-8", "replace")
        is_self = target.user_id == user.pk
        if key in reachable:
            assert response.status_code == 200, (role, page.name, key)
            if not is_self:
                assert _audited(action=page.action, user=user, subject=target) == 1
        else:
            assert response.status_code == (403 if lacks_page else 404), (role, page.name, key)
            assert not AuditEntry.objects.filter(actor=user, subject=target).exists()
            assert target.phone not in body


@pytest.mark.parametrize("page", PERSON_PAGES, ids=lambda p: p.name)
@pytest.mark.parametrize("role", ["dept_admin", "sysadmin", "student"])
def test_it_answers_a_guessed_id_like_an_out_of_scope_one(client, world, page, role):
    sign_in(client, world.users[role])
    lacks_page = page.cap is not None and role not in HOLDERS[page.cap]
    missing = 10**9
    for pk in (missing, 0):
        response = _call(client, page.method, page.path.format(pk=pk))
        assert response.status_code == (403 if lacks_page else 404)
    assert client.get(page.path.replace("{pk}", "abc")).status_code == 404


@pytest.mark.parametrize("page", LIST_PAGES, ids=lambda p: p.name)
@pytest.mark.parametrize("role", ROLES)
def test_it_shows_a_list_page_only_to_its_roles_and_audits_it(client, world, page, role):
    user = world.users[role]
    response = sign_in(client, user).get(page.path)
    body = _body(response)
    if role not in HOLDERS[page.cap]:
        assert response.status_code == 403
        assert _audited(action=page.action, user=user) == 0
        return
    assert response.status_code == 200
    assert _audited(action=page.action, user=user) == 1
    text = _text(response, body)
    if page.shows:
        expected = world.expected(role, page.shows)
        shown = {key for key, person in world.people.items() if person.number in text}
        assert shown == expected, (role, page.name)
    for person in world.people.values():
        assert person.phone not in text  # lists show masked contacts only


@pytest.mark.parametrize("role", ROLES)
def test_it_shows_a_visitor_application_by_host_unit(client, world, role):
    """Visitor applications belong to the host unit that applied (R3.3), not to a person
    in the registry: HR decides for any unit, a department admin for their college."""
    from campuscode.followup.models import VisitorApplication

    def application(unit, name):
        return VisitorApplication.objects.create(
            school=world.tree.school,
            host_unit=unit,
            kind="visitor",
            name=name,
            phone="13912345678",
            email="visitor@example.com",
            purpose="讲座",
            valid_from=timezone.localdate(),
            valid_until=timezone.localdate(),
            applied_at=timezone.now(),
            idempotency_key=name,
        )

    apps = {
        "cs": application(world.tree.cs, "访客甲"),
        "hr": application(world.tree.hr_office, "访客乙"),
    }
    reach = {"dept_admin": {"cs"}, "hr": {"cs", "hr"}, "sysadmin": {"cs", "hr"}}
    user = world.users[role]
    sign_in(client, user)
    for key, app in apps.items():
        response = client.get(f"/followup/visitors/{app.pk}/")
        if role not in HOLDERS[Cap.DECIDE_VISITORS]:
            assert response.status_code == 403
        elif key in reach[role]:
            assert response.status_code == 200 and app.name in response.content.decode()
            assert (
                AuditEntry.objects.filter(
                    action="followup.visitor.viewed", actor=user, data__application=app.pk
                ).count()
                == 1
            )
        else:
            assert response.status_code == 404


@pytest.mark.parametrize("page", OWN_PAGES, ids=lambda p: p.name)
@pytest.mark.parametrize("role", ROLES)
def test_it_shows_only_the_users_own_code(client, world, page, role):
    user = world.users[role]
    own = Person.objects.filter(user=user).first()
    other = world.people["s_en"]
    # A guessed parameter must not switch the page to someone else.
    response = sign_in(client, user).get(page.path, {"person": other.pk, "pk": other.pk})
    assert response.status_code == 200
    tokens = re.findall(r'data-token="([^"]+)"', response.content.decode())
    assert [verify_token(t).person for t in tokens] == ([own] if own else [])


@pytest.mark.parametrize("role", ROLES)
def test_it_scopes_health_data_and_the_system_admin_has_none(world, role):
    user = world.users[role]
    assert has_capability(user, Cap.VIEW_HEALTH) == (role in HOLDERS[Cap.VIEW_HEALTH])
    reached = set(Person.objects.visible_to(user, Cap.VIEW_HEALTH))
    expected = world.expected(role, Cap.VIEW_HEALTH)
    assert reached & set(world.people.values()) == {world.people[k] for k in expected}


@pytest.mark.parametrize("role", ROLES)
def test_it_lists_capabilities_as_the_matrix_says(world, role):
    user = world.users[role]
    held = {cap for cap, roles in HOLDERS.items() if has_capability(user, cap)}
    assert held == {cap for cap, roles in HOLDERS.items() if role in roles}


def test_it_sends_an_anonymous_visitor_to_sign_in_from_every_page(client, world):
    target = world.people["s_cs2501"]
    paths = [(p.method, p.path.format(pk=p.make(world, target))) for p in PERSON_PAGES]
    paths += [("get", p.path) for p in LIST_PAGES + OWN_PAGES]
    before = AuditEntry.objects.count()
    for method, path in paths:
        response = _call(client, method, path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], path
    assert AuditEntry.objects.count() == before


# --- supervision (R7): every role × every supervision page that can show personal data ---
# The group (INSPECT) reads all of it, names included; a department (RECTIFY over 计算机学院)
# reads its own notices without the names in the evidence; everyone else gets 403.
SUPERVISION_PAGES = [
    # (name, path template, roles with 200, action audited, shows the roll-call number to)
    ("lists", "/supervision/", {"supervision", "dept_admin"}, "supervision.lists.viewed", set()),
    (
        "ledger",
        "/supervision/ledger.xlsx",
        {"supervision", "dept_admin"},
        "supervision.ledger.exported",
        set(),
    ),
    (
        "notice",
        "/supervision/notices/{notice}/",
        {"supervision", "dept_admin"},
        "supervision.notice.viewed",
        {"supervision"},
    ),
    (
        "notice pdf",
        "/supervision/notices/{notice}/letter.pdf",
        {"supervision", "dept_admin"},
        "supervision.notice.viewed",
        set(),
    ),
    (
        "plan",
        "/supervision/plans/{plan}/",
        {"supervision"},
        "supervision.plan.viewed",
        {"supervision"},
    ),
    (
        "data checks",
        "/supervision/checks/?first=2026-03-02&last=2026-03-02",
        {"supervision"},
        "supervision.checks.viewed",
        set(),
    ),
    (
        "point inspection",
        "/supervision/inspections/{inspection}/",
        {"supervision"},
        "supervision.inspection.viewed",
        set(),
    ),
    (
        "inspection photo",
        "/supervision/photos/{photo}/",
        {"supervision"},
        "supervision.inspection.viewed",
        set(),
    ),
]


def _supervision_records(world) -> dict:
    from django.core.files.base import ContentFile

    from campuscode.casework.evidence import freeze
    from campuscode.checkins.models import CheckinPoint
    from campuscode.supervision.models import (
        Headcount,
        InspectionPhoto,
        InspectionPlan,
        PlanKind,
        PointInspection,
        Severity,
    )
    from campuscode.supervision.services import issue_notice, record_finding

    tree, lead = world.tree, world.users["supervision"]
    number = world.people["s_cs2501"].number
    now = timezone.now()
    plan = InspectionPlan.objects.create(
        school=tree.school, kind=PlanKind.ONSITE, title="现场检查", starts_at=now, created_at=now
    )
    plan.scope.set([tree.cs_2501])
    finding = record_finding(
        actor=lead,
        school=tree.school,
        plan=plan,
        unit=tree.cs_2501,
        severity=Severity.MAJOR,
        criterion="签到记录与实到人数一致",
        description="记录 2 人，现场 1 人",
        applies_on=timezone.localdate(now),
    )
    Headcount.objects.create(
        plan=plan,
        unit=tree.cs_2501,
        day=timezone.localdate(now),
        period="morning",
        recorded=2,
        counted=1,
        not_present=[number],
        finding=finding,
        entered_by=lead,
        entered_at=now,
    )
    freeze(
        actor=lead,
        applies_on=timezone.localdate(now),
        record_type="supervision.headcount",
        snapshot={"not_present": [number]},
        owner=finding,
        label="点名",
    )
    notice = issue_notice(actor=lead, finding=finding)
    point = CheckinPoint.objects.filter(campus=tree.main_campus).first()
    inspection = PointInspection.objects.create(
        plan=plan,
        point=point,
        unit=tree.main_campus,
        answers=[{"item": "海报张贴", "ok": False, "note": ""}],
        entered_by=lead,
        entered_at=now,
    )
    buffer = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    photo = InspectionPhoto.objects.create(
        inspection=inspection, file=ContentFile(buffer.getvalue(), "p.png"), added_at=now
    )
    return {"plan": plan.pk, "notice": notice.pk, "inspection": inspection.pk, "photo": photo.pk}


@pytest.mark.parametrize("page", SUPERVISION_PAGES, ids=lambda p: p[0])
@pytest.mark.parametrize("role", ROLES)
def test_it_shows_a_supervision_page_only_to_the_group_and_the_unit(client, world, page, role):
    name, path, allowed, action, names_to = page
    ids = _supervision_records(world)
    user = world.users[role]
    response = sign_in(client, user).get(path.format(**ids))
    body = _body(response)
    if role not in allowed:
        assert response.status_code == 403, (role, name)
        assert _audited(action=action, user=user) == 0
        return
    assert response.status_code == 200, (role, name)
    assert _audited(action=action, user=user) == 1
    number = world.people["s_cs2501"].number
    if body[:4] != b"%PDF" and not response.get("Content-Type", "").startswith("image/"):
        assert (number in _text(response, body)) == (role in names_to), (role, name)
