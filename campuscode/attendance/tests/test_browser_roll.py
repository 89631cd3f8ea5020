"""The roll list on a 390 px phone (R2.4): a class of 40, tap the exceptions, "mark the
rest present", done; nothing scrolls sideways. Screenshots in test-artifacts/attendance-*."""

import pytest
from django.conf import settings
from django.test import Client

from campuscode.attendance import engine
from campuscode.attendance.models import Session
from campuscode.core.rules import set_setting
from campuscode.people.models import Person, Role
from conftest import screenshot, sign_in

from .conftest import at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_roll_list_takes_a_class_of_40_on_a_phone(phone_page, live_server, tree, time_machine):
    time_machine.move_to(at("2026-03-02 08:03"), tick=True)
    set_setting(key="session_require_second_factor", value=False)
    staff = tree.person("周文静", tree.cs, kind=Person.Kind.STAFF, number="T1007")
    teacher = tree.account("", (Role.TEACHER, tree.cs), person=staff)
    people = [tree.person(f"学生{n:02d}", tree.cs_2501, account=False) for n in range(40)]
    lesson = Session.objects.create(
        school=tree.school,
        title="数据结构",
        unit=tree.cs_2501,
        owner=teacher,
        place="一教101",
        starts_at=at("2026-03-02 08:00"),
        ends_at=at("2026-03-02 09:40"),
    )
    cookie = sign_in(Client(), teacher).cookies[settings.SESSION_COOKIE_NAME].value
    page = phone_page
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    page.goto(f"/attendance/sessions/{lesson.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "attendance-roll-phone")
    # Two absent, one late (htmx swaps the row in place), then the rest present.
    for person, status in ((people[3], "absent"), (people[7], "absent"), (people[12], "late")):
        row = page.locator(f"#row-{person.pk}")
        row.locator(f"button[value={status}]").click()
        page.wait_for_function(
            f"() => document.querySelector('#row-{person.pk}').dataset.status === '{status}'"
        )
    page.locator("[data-rest-present]").click()
    page.wait_for_load_state("load")
    screenshot(page, "attendance-roll-done-phone")
    tally = engine.tally(lesson)
    assert (tally.counts["present"], tally.counts["absent"], tally.counts["late"]) == (37, 2, 1)
    assert tally.unmarked == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_room_screen_shows_a_scannable_code_and_the_student_signs_in(
    browser, live_server, tree, time_machine
):
    from conftest import DESKTOP, PHONE, decode_qr

    time_machine.move_to(at("2026-03-02 08:03"), tick=True)
    set_setting(key="session_require_second_factor", value=False)
    staff = tree.person("周文静", tree.cs, kind=Person.Kind.STAFF, number="T1007")
    teacher = tree.account("", (Role.TEACHER, tree.cs), person=staff)
    student = tree.person("张小伟", tree.cs_2501)
    lesson = Session.objects.create(
        school=tree.school,
        title="数据结构",
        unit=tree.cs_2501,
        owner=teacher,
        place="一教101",
        starts_at=at("2026-03-02 08:00"),
        ends_at=at("2026-03-02 09:40"),
    )

    def page_for(user, device):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", **device)
        cookie = sign_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
        page = context.new_page()
        page.set_default_timeout(60_000)
        return page

    screen = page_for(teacher, DESKTOP)
    screen.goto(f"/attendance/sessions/{lesson.pk}/screen/?short=1", wait_until="commit")
    screen.wait_for_selector(".kiosk-qr svg")
    [url] = decode_qr(screen_path := screenshot(screen, "attendance-screen"))
    assert f"/attendance/s/{lesson.pk}/" in url and screen_path
    phone = page_for(student.user, PHONE)
    phone.goto(url)
    phone.locator("[data-sign-in]").click()
    phone.wait_for_selector("[data-result=ok]")
    screenshot(phone, "attendance-signed-in-phone")
    assert engine.current_marks(lesson)[student.pk].method == "session_qr"
    scanner = page_for(teacher, PHONE)
    scanner.goto(f"/attendance/sessions/{lesson.pk}/scanner/")
    assert scanner.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(scanner, "attendance-scanner-phone")
