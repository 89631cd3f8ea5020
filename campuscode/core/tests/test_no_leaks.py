"""No requirement id and no English word leaks into a Chinese page (issue 10, Words).

Signs in as a few roles, follows every link of the start page and its menu, and reads
the visible text of each page (not scripts, styles or attributes) in zh-Hans."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.utils import translation
from django.utils.translation import gettext, pgettext

from campuscode.audit.services import log_action
from campuscode.people.models import Role
from conftest import sign_in

pytestmark = pytest.mark.django_db

REQUIREMENT_ID = re.compile(r"\bR\d+\.\d+\b")
# Letters a Chinese page may show: formats, standard abbreviations, product names, and
# the shapes of data (sign-in names like T1001@TEST, e-mail addresses, codes).
ALLOWED = {
    "XLSX", "CSV", "QR", "ID", "PDF", "API", "URL", "IP", "app", "App", "WeCom", "HTTPS",
    "JSON", "TOTP", "USB", "Wi", "Fi", "PNG", "SVG", "TEST", "DEMO", "ASCII", "HH", "MM",
    "Excel", "WPS", "Campus", "Code", "Chromium", "Chrome", "Safari", "Android", "iPhone",
    "iOS", "SMS", "Email", "E", "mail", "HTML", "UTF", "AM", "PM",
    "MB", "KB", "GB",
    "English",  # the language switcher names each language in that language
}  # fmt: skip
WORD = re.compile(r"(?<![\w@.\-/])[A-Za-z]{2,}(?![\w@.\-/])")
SKIP_PATHS = ("/accounts/logout/", "/admin/", "/static/", "/media/", "/api/")


class VisibleText(HTMLParser):
    """Text a reader sees: outside <script>, <style>, <code> and `.mono` elements (data
    such as sign-in names and addresses is not a word of the interface)."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "col", "area", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in self.VOID:
            return
        hidden = (
            tag in ("script", "style", "code", "pre", "template")
            or "mono" in (attrs.get("class") or "").split()
        )
        self.stack.append(hidden or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def _read(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    return parser


def _leaks(text: str, data: frozenset[str] = frozenset()) -> list[str]:
    text = re.sub(r"\S+@\S+", " ", text)  # sign-in names and e-mail addresses
    found = REQUIREMENT_ID.findall(text)
    found += [w for w in WORD.findall(text) if w not in ALLOWED and w not in data]
    return found


def test_the_word_check_finds_what_it_should():
    assert _leaks("第 3 页（R4.6）") == ["R4.6"]
    assert _leaks("导出 XLSX 文件，Change 一下") == ["Change"]
    assert _leaks("登录名 T1001@TEST，邮箱 p1@example.edu.cn") == []


@pytest.fixture
def accounts(tree, adviser, sysadmin, student):
    log_action(action="people.profile.viewed", actor=sysadmin, subject=student)
    return {
        "student": student.user,
        "adviser": adviser,
        "sysadmin": sysadmin,
        "health": tree.account("health", (Role.HEALTH_OFFICE, tree.school)),
        "gate": tree.account("gate", (Role.GATE_STAFF, tree.school)),
        "supervision": tree.account("supervision", (Role.SUPERVISION, tree.school)),
        "auditor": tree.account("auditor", (Role.AUDITOR, tree.school)),
    }


@pytest.mark.parametrize(
    "role", ["student", "adviser", "sysadmin", "health", "gate", "supervision", "auditor"]
)
def test_no_requirement_id_or_english_word_on_a_chinese_page(client, accounts, role):
    usernames = frozenset(user.username for user in accounts.values())  # data, not words
    sign_in(client, accounts[role])
    client.cookies["django_language"] = "zh-hans"
    headers = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    seen, queue, problems = set(), ["/"], {}
    while queue and len(seen) < 40:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, **headers)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        page = _read(response.content.decode())
        if leaks := _leaks(" ".join(page.parts), usernames):
            problems[path] = sorted(set(leaks))
        if path == "/":
            for href in page.links:
                parts = urlsplit(href)
                if parts.netloc or not parts.path.startswith("/"):
                    continue
                if parts.path.startswith(SKIP_PATHS) or parts.path in seen:
                    continue
                queue.append(parts.path)
    assert len(seen) > 1
    assert not problems, problems


def test_the_admin_change_link_says_xiugai_and_a_notice_keeps_its_own_word(client, sysadmin):
    change = "Change"  # a variable: xgettext must not collect this test's strings
    with translation.override("zh-hans"):
        assert gettext(change) == "修改"  # Django admin's link, no longer 调整方式
        assert pgettext("check-in notice", change) == "调整方式"
    sign_in(client, sysadmin)
    page = client.get("/checkins/notices/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<th>调整方式</th>" in page


def test_the_point_list_names_a_place_not_a_person(client, sysadmin):
    sign_in(client, sysadmin)
    page = client.get("/checkins/points/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<th>名称</th>" in page and "<th>姓名</th>" not in page
