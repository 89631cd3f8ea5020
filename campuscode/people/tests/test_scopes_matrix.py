"""The scope matrix: every role × every page or API that shows personal data.

The expectations below are written out by hand (not derived from scopes.py), so a change
to ROLE_CAPABILITIES or to a page's scope check that widens access fails here.

To cover a new page, add ONE line to PERSON_PAGES (a page about one person, `{pk}` in its
URL), LIST_PAGES (a list or export) or OWN_PAGES (a page about the signed-in user only).
"""

import io
import re
from dataclasses import dataclass

import openpyxl
import pytest

from campuscode.audit.models import AuditEntry
from campuscode.codes.tokens import verify_token
from campuscode.people.models import Person, Role
from campuscode.people.scopes import Cap, has_capability, people_visible_to
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
    "student",
    "outsider",
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
    Cap.VIEW_HEALTH: {"adviser", "dept_admin", "health", "supervision"},
    Cap.VIEW_AUDIT: {"supervision", "sysadmin"},
    Cap.MANAGE_ACCOUNTS: {"sysadmin"},
}

# Whom each role reaches with a capability. "student" is s_cs2501's own account.
SCOPES = {
    Cap.VIEW_PEOPLE: {
        "adviser": {"s_cs2501"},
        "teacher": CS,
        "dept_admin": CS,
        "hr": STAFF,
        "health": ALL,
        "gate": set(),
        "supervision": ALL,
        "sysadmin": ALL,
        "student": {"s_cs2501"},  # themselves only
        "outsider": set(),
    },
    Cap.REVEAL: {
        "adviser": {"s_cs2501"},
        "dept_admin": CS,
        "hr": STAFF,
        "health": ALL,
        "sysadmin": ALL,
    },
    Cap.EDIT_PEOPLE: {"dept_admin": CS, "hr": STAFF, "sysadmin": ALL},
    Cap.VIEW_HEALTH: {
        "adviser": {"s_cs2501"},
        "teacher": set(),
        "dept_admin": CS,
        "hr": set(),
        "health": ALL,
        "gate": set(),
        "supervision": ALL,
        "sysadmin": set(),  # accounts and settings, never health data
        "student": set(),
        "outsider": set(),
    },
}


@dataclass(frozen=True)
class PersonPage:
    """A page about one person: `path` has {pk}; `cap` None means anyone may see themselves."""

    name: str
    path: str
    method: str
    scope: str
    action: str
    cap: str | None = None


@dataclass(frozen=True)
class ListPage:
    name: str
    path: str
    cap: str
    action: str
    numbers: str | None = None  # how to read the person numbers it shows: "html" or "xlsx"


@dataclass(frozen=True)
class OwnPage:
    name: str
    path: str


PERSON_PAGES = [
    PersonPage("detail", "/people/{pk}/", "get", Cap.VIEW_PEOPLE, "people.profile.viewed"),
    PersonPage(
        "reveal", "/people/{pk}/reveal/", "post", Cap.REVEAL, "people.contact.revealed", Cap.REVEAL
    ),
    PersonPage(
        "edit", "/people/{pk}/edit/", "get", Cap.EDIT_PEOPLE, "people.edit.viewed", Cap.EDIT_PEOPLE
    ),
]

LIST_PAGES = [
    ListPage("people list", "/people/", Cap.VIEW_PEOPLE, "people.list.viewed", "html"),
    ListPage(
        "people export", "/people/export.xlsx", Cap.VIEW_PEOPLE, "people.list.exported", "xlsx"
    ),
    ListPage("audit log", "/audit/", Cap.VIEW_AUDIT, "audit.log.viewed"),
    ListPage("audit csv", "/audit/export.csv", Cap.VIEW_AUDIT, "audit.log.exported"),
    ListPage("audit xlsx", "/audit/export.xlsx", Cap.VIEW_AUDIT, "audit.log.exported"),
    ListPage("accounts", "/people/accounts/", Cap.MANAGE_ACCOUNTS, "people.accounts.viewed"),
]

OWN_PAGES = [OwnPage("my code", "/code/"), OwnPage("my code panel", "/code/panel/")]


class World:
    def __init__(self, tree):
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
            "student": self.people["s_cs2501"].user,
            "outsider": tree.account("outsider"),
        }

    def expected(self, role: str, capability: str) -> set[str]:
        return SCOPES[capability].get(role, set())


@pytest.fixture
def world(tree) -> World:
    return World(tree)


def _call(client, method: str, url: str):
    return client.post(url) if method == "post" else client.get(url)


def _body(response) -> bytes:
    if response.streaming:
        # The test client closes the response once its content is consumed.
        return b"".join(response.streaming_content)
    return response.content


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
    reachable = set() if lacks_page else world.expected(role, page.scope)
    for key in TARGETS:
        target = world.people[key]
        response = _call(client, page.method, page.path.format(pk=target.pk))
        is_self = target.user_id == user.pk
        if key in reachable:
            assert response.status_code == 200, (role, page.name, key)
            if not is_self:
                assert _audited(action=page.action, user=user, subject=target) == 1
        else:
            assert response.status_code == (403 if lacks_page else 404), (role, page.name, key)
            assert not AuditEntry.objects.filter(actor=user, subject=target).exists()
            assert target.phone not in response.content.decode()


@pytest.mark.parametrize("page", PERSON_PAGES, ids=lambda p: p.name)
@pytest.mark.parametrize("role", ["dept_admin", "sysadmin", "student"])
def test_it_answers_a_guessed_id_like_an_out_of_scope_one(client, world, page, role):
    sign_in(client, world.users[role])
    lacks_page = page.cap is not None and role not in HOLDERS[page.cap]
    missing = Person.objects.order_by("-pk").first().pk + 1000
    for pk in (missing, 0):
        response = _call(client, page.method, page.path.format(pk=pk))
        assert response.status_code == (403 if lacks_page else 404)
    assert client.get(page.path.replace("{pk}", "abc")).status_code == 404


def _numbers_shown(page: ListPage, body: bytes) -> set[str]:
    if page.numbers == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        return {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    return set(re.findall(r'data-person="\d+">\s*<td[^>]*><a [^>]*>([^<]+)</a>', body.decode()))


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
    if page.numbers:
        shown = _numbers_shown(page, body) & {p.number for p in world.people.values()}
        expected = {world.people[key].number for key in world.expected(role, page.cap)}
        assert shown == expected
        for person in world.people.values():
            assert person.phone not in body.decode("utf-8", "replace")  # masked only


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
    reached = set(people_visible_to(user, Cap.VIEW_HEALTH, include_self=False))
    expected = world.expected(role, Cap.VIEW_HEALTH)
    assert reached & set(world.people.values()) == {world.people[k] for k in expected}


@pytest.mark.parametrize("role", ROLES)
def test_it_lists_capabilities_as_the_matrix_says(world, role):
    user = world.users[role]
    held = {cap for cap, roles in HOLDERS.items() if has_capability(user, cap)}
    assert held == {cap for cap, roles in HOLDERS.items() if role in roles}


def test_it_sends_an_anonymous_visitor_to_sign_in_from_every_page(client, world):
    target = world.people["s_cs2501"]
    paths = [(p.method, p.path.format(pk=target.pk)) for p in PERSON_PAGES]
    paths += [("get", p.path) for p in LIST_PAGES + OWN_PAGES]
    for method, path in paths:
        response = _call(client, method, path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], path
    assert not AuditEntry.objects.exists()
