"""The Simplified Chinese catalogue is complete, well-formed, and is what the pages show.

zh-hans is the default language; English is the source language of every msgid.
"""

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext, ngettext, pgettext

from campuscode.core.compile_messages import compile_all
from conftest import sign_in

ROOT = Path(settings.BASE_DIR)
ZH_PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _catalogue(path: Path, locale: str):
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _ids(catalogue) -> set[tuple[str | None, str]]:
    return {
        (m.context, m.id[0] if isinstance(m.id, tuple | list) else m.id) for m in catalogue if m.id
    }


# --- The catalogue files -------------------------------------------------------------


def test_it_has_no_untranslated_or_fuzzy_chinese_entry():
    assert compile_all(check=True) == []


def test_it_keeps_every_placeholder_of_the_english_source():
    problems = [
        f"{message.id!r}: {errors}"
        for message, errors in _catalogue(ZH_PO, "zh_Hans").check()
        if message.id
    ]
    assert problems == []


def test_it_declares_one_plural_form_for_chinese_and_two_for_english():
    zh = _catalogue(ZH_PO, "zh_Hans")
    en = _catalogue(EN_PO, "en")
    assert zh.locale_identifier == "zh_Hans" and zh.num_plurals == 1
    assert en.locale_identifier == "en" and en.num_plurals == 2
    assert not zh.fuzzy and not en.fuzzy
    assert zh.mime_headers and dict(zh.mime_headers)["Content-Type"].lower().endswith("utf-8")
    for message in zh:
        if message.pluralizable:
            assert len(message.string) == 1, message.id


def test_the_english_catalogue_has_the_same_entries_as_the_chinese_one():
    assert _ids(_catalogue(EN_PO, "en")) == _ids(_catalogue(ZH_PO, "zh_Hans"))


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_it_has_a_chinese_entry_for_every_string_marked_in_the_code(tmp_path, settings):
    """Extract the marked strings again (on a copy of the code) and compare the msgids."""
    for folder in ("campuscode", "config", "templates"):
        shutil.copytree(
            ROOT / folder,
            tmp_path / folder,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    (tmp_path / "locale").mkdir()
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        call_command("makemessages", locale=["zh_Hans"], verbosity=0, no_obsolete=True)
    # Read with English plural rules: a fresh catalogue has two empty plural forms.
    extracted = _ids(_catalogue(tmp_path / "locale/zh_Hans/LC_MESSAGES/django.po", "en"))
    missing = sorted(extracted - _ids(_catalogue(ZH_PO, "zh_Hans")), key=str)
    assert missing == [], "run `make messages` and translate the new entries"


# --- What the pages show --------------------------------------------------------------


@pytest.mark.django_db
def test_it_shows_the_sign_in_page_in_chinese_by_default_and_in_english_on_request(client):
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录" in page and "领取校园码" in page
    assert "Sign in" not in page

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302

    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in page
    assert "Sign in" in page and "Claim your campus code" in page
    assert "登录" not in page


@pytest.mark.django_db
def test_it_shows_a_students_menu_in_chinese(client, student):
    page = sign_in(client, student.user).get("/").content.decode()
    for term in ("首页", "我的校园码", "健康打卡", "账号安全", "退出登录"):
        assert term in page, term
    for english in (">Home<", ">My code<", ">Sign out<"):
        assert english not in page, english


# --- Our terms win over third-party catalogues ----------------------------------------


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Name", "姓名"),  # django-celery-beat's catalogue says 任务名
        ("Campus Code", "校园码"),
        ("Check-in points", "打卡点"),
        ("Health check-in", "健康打卡"),
        ("Class adviser", "班主任"),
        ("Department admin", "院系管理员"),
        ("Health office", "校医院"),
        ("Supervision group", "督导组"),
        ("System admin", "系统管理员"),
        ("Roster import", "名单导入"),
        ("Audit log", "审计日志"),
        ("One-time code", "验证码"),
        ("Two-factor sign-in", "两步验证"),
        ("Temporary worker", "临时工"),
        ("Green", "绿码"),
        ("Red code", "红码"),
        ("Sign in", "登录"),
        ("Save", "保存"),
    ],
)
def test_it_resolves_key_terms_to_our_own_words(english, chinese):
    with translation.override("zh-hans"):
        assert gettext(english) == chinese


def test_it_translates_contexts_and_plurals():
    with translation.override("zh-hans"):
        assert pgettext("person", "Name") == "姓名"
        assert ngettext("%(counter)s person", "%(counter)s people", 1) % {"counter": 1} == "共 1 人"
        assert ngettext("%(counter)s person", "%(counter)s people", 7) % {"counter": 7} == "共 7 人"
    with translation.override("en"):
        assert gettext("Name") == "Name"
        assert ngettext("%(counter)s person", "%(counter)s people", 7) % {"counter": 7} == (
            "7 people"
        )
