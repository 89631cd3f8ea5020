"""Shared fixtures: a small school, people in it, accounts with scoped roles, and an outsider."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from campuscode.accounts.forms import person_username
from campuscode.people.models import OrgUnit, Person, Role, RoleAssignment
from campuscode.people.services import checksum_char, id_fields

PASSWORD = "correct-horse-9"
ON_ROLL_SINCE = datetime(2025, 9, 1, tzinfo=ZoneInfo("Asia/Shanghai"))


def make_id_number(seq: int, birth: str = "20050101") -> str:
    first17 = f"110101{birth}{seq % 1000:03d}"
    return first17 + checksum_char(first17)


def tamper(token: str, index: int = -20) -> str:
    """A campus code with one bit flipped at byte `index` of payload ‖ signature: still
    well-formed, so only the signature check can catch it."""
    from campuscode.codes import tokens

    raw = bytearray(tokens._b64decode(token[len(tokens.PREFIX) :]))
    raw[index] ^= 0x01
    return tokens.PREFIX + tokens._b64encode(bytes(raw))


@pytest.fixture(autouse=True)
def _isolated_keys(settings, tmp_path):
    """Every test signs with keys of its own (and its own audit-chain key and anchor
    folder), in a temporary folder."""
    from campuscode.audit import keys as audit_keys
    from campuscode.codes import keys

    settings.CODE_KEYS_DIR = tmp_path / "keys"
    settings.AUDIT_KEY_FILE = None
    settings.ANCHOR_DIR = tmp_path / "anchors"
    keys._cache.update(mtime=None, ring=None)
    audit_keys.forget()
    yield
    keys._cache.update(mtime=None, ring=None)
    audit_keys.forget()


@pytest.fixture(autouse=True)
def _clear_settings_cache(db):
    from django.core.cache import cache

    from campuscode.core.rules import clear_local_cache

    cache.clear()
    clear_local_cache()


@pytest.fixture(autouse=True)
def _one_step_sign_in(_clear_settings_cache):
    """Tests sign in with force_login, without a second factor; the school default (staff
    roles must set one up) is turned back on by the tests of that rule."""
    from campuscode.core.rules import set_setting

    set_setting(key="session_require_second_factor", value=False)


class SchoolTree:
    """测试大学 → 主校区/东校区 → colleges → classes, plus offices."""

    def __init__(self):
        unit = self.unit
        self.school = unit(None, OrgUnit.Kind.SCHOOL, "测试大学", code="TEST")
        self.main_campus = unit(self.school, OrgUnit.Kind.CAMPUS, "主校区")
        self.east_campus = unit(self.school, OrgUnit.Kind.CAMPUS, "东校区")
        self.cs = unit(self.main_campus, OrgUnit.Kind.COLLEGE, "计算机学院")
        self.cs_2501 = unit(self.cs, OrgUnit.Kind.CLASS, "计科2501班")
        self.cs_2502 = unit(self.cs, OrgUnit.Kind.CLASS, "计科2502班")
        self.lang = unit(self.east_campus, OrgUnit.Kind.COLLEGE, "外国语学院")
        self.en_2501 = unit(self.lang, OrgUnit.Kind.CLASS, "英语2501班")
        self.clinic = unit(self.main_campus, OrgUnit.Kind.OFFICE, "校医院")
        self.hr_office = unit(self.main_campus, OrgUnit.Kind.OFFICE, "人事处")
        self._seq = 0

    @staticmethod
    def unit(parent, kind, name, code=""):
        return OrgUnit.objects.create(parent=parent, kind=kind, name=name, code=code)

    def person(self, name, unit, *, kind=Person.Kind.STUDENT, number=None, account=True, **extra):
        self._seq += 1
        number = number or f"2025{self._seq:04d}"
        id_number = make_id_number(self._seq)
        person = Person.objects.create(
            school=self.school,
            number=number,
            name=name,
            kind=kind,
            org_unit=unit,
            phone=f"1380000{self._seq:04d}",
            email=f"p{self._seq}@example.edu.cn",
            **id_fields(id_number),
            **{k: v for k, v in extra.items() if k != "created_at"},
        )
        person.id_number = id_number  # only in memory, for tests that claim
        if account:
            person.user = User.objects.create_user(
                person_username(school=self.school, number=number), password=PASSWORD
            )
            person.save(update_fields=["user"])
        # On the roll since long before any test's clock (tests move time to 2026 dates
        # while the row is written at the real now): the lists count a person only from
        # the day their record was created (R6.3). A test of joining passes created_at.
        since = extra.get("created_at") or ON_ROLL_SINCE
        Person.objects.filter(pk=person.pk).update(created_at=since, updated_at=since)
        person.created_at = person.updated_at = since
        return person

    def account(self, username, *roles, person=None):
        """An account holding (role, unit) pairs."""
        user = person.user if person else User.objects.create_user(username, password=PASSWORD)
        for role, unit in roles:
            RoleAssignment.objects.create(user=user, role=role, org_unit=unit)
        return user


@pytest.fixture
def tree(db) -> SchoolTree:
    return SchoolTree()


@pytest.fixture
def student(tree) -> Person:
    return tree.person("张小伟", tree.cs_2501)


@pytest.fixture
def other_student(tree) -> Person:
    return tree.person("李娜", tree.en_2501)


@pytest.fixture
def adviser(tree) -> User:
    staff = tree.person("王老师", tree.cs, kind=Person.Kind.STAFF, number="T0001")
    return tree.account("", (Role.CLASS_ADVISER, tree.cs_2501), person=staff)


@pytest.fixture
def sysadmin(tree) -> User:
    return tree.account("itadmin", (Role.SYSTEM_ADMIN, tree.school))


@pytest.fixture
def auditor(tree) -> User:
    """Reads the audit log school-wide (separation of duties: not the system admin)."""
    return tree.account("auditor", (Role.AUDITOR, tree.school))


@pytest.fixture
def security_admin(tree) -> User:
    return tree.account("secadmin", (Role.SECURITY_ADMIN, tree.school))


@pytest.fixture
def outsider(tree) -> User:
    """Signed in, but with no person and no role: sees nothing of anyone."""
    return tree.account("outsider")


def sign_in(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


# --- Browser tests (Playwright driving Debian's Chromium) ------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
_skipped_browser_tests: list[str] = []


def pytest_collection_modifyitems(config, items):
    import os

    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
            _skipped_browser_tests.append(item.nodeid)


def pytest_terminal_summary(terminalreporter):
    if _skipped_browser_tests:
        write = terminalreporter.write_line
        write("!" * 78, red=True, bold=True)
        write(
            f"SKIPPED {len(_skipped_browser_tests)} BROWSER TESTS: no Chromium at {CHROMIUM}.",
            red=True,
            bold=True,
        )
        for nodeid in _skipped_browser_tests:
            write(f"  - {nodeid}", red=True)
        write("Install it with: apt-get install chromium fonts-wqy-microhei", red=True, bold=True)
        write("!" * 78, red=True, bold=True)


@pytest.fixture(scope="session")
def browser():
    import os

    # Playwright's sync API runs an event loop in this thread; Django's ORM would then
    # refuse the test's own queries as "async unsafe". The test thread never shares a
    # connection with the loop, so this is safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


ARTIFACTS = Path(__file__).parent / "test-artifacts"


@pytest.fixture
def phone_page(browser, live_server):
    """A phone-sized page in Chinese; screenshots go to test-artifacts/ to be looked at."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def decode_qr(png_path) -> list[str]:
    """Every QR code zxing-cpp finds in a screenshot, as text."""
    import zxingcpp
    from PIL import Image

    return [result.text for result in zxingcpp.read_barcodes(Image.open(png_path))]
