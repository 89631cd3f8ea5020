"""Staff lists on a 390 px phone (issue 10): no page scrolls sideways, no column is squeezed
one character wide, and a class of 60 stays a bounded height (it was ~11,000 px).
Screenshots in test-artifacts/staff-*.png."""

import pytest
from django.conf import settings
from django.test import Client

from campuscode.core.rules import set_setting
from campuscode.followup.models import AdvanceReport
from campuscode.people.models import Person, Role
from conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Per row of a 60-person list; the old one-cell-per-line cards took ~190 px a row.
MAX_ROW_PX = 110


def _signed_in(page, live_server, user):
    session = sign_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    return page


def _check(page, path, name, *, rows=None):
    page.goto(path)
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{path} is {width} px wide"
    # No cell narrower than a few characters (the unit column wrapped one per line).
    narrow = page.evaluate(
        """() => [...document.querySelectorAll('table.stack td')]
            .filter(td => td.offsetParent && td.textContent.trim().length > 3
                    && td.getBoundingClientRect().width < 40).length"""
    )
    assert narrow == 0, f"{path}: {narrow} squeezed cells"
    screenshot(page, f"staff-{name}-phone")
    height = page.evaluate("document.documentElement.scrollHeight")
    if rows:
        table = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('table.stack')]"
            ".map(t => t.getBoundingClientRect().height))"
        )
        assert table <= rows * MAX_ROW_PX, f"{path}: {table} px for {rows} rows"
    return height


def test_staff_lists_fit_a_phone(phone_page, live_server, tree, adviser, time_machine):
    time_machine.move_to("2026-03-02 08:30 +0800", tick=True)
    set_setting(key="session_require_second_factor", value=False)
    people = [tree.person(f"学生{seat:02d}号", tree.cs_2501) for seat in range(1, 60)]
    for person in people[:8]:
        AdvanceReport.objects.create(
            person=person,
            kind="sick",
            first_day="2026-03-03",
            last_day="2026-03-04",
            periods=["morning", "afternoon"],
            reason="发烧在家休息，已就医",
            destination="家中",
            phone="13812345678",
            created_at="2026-03-02T08:00+08:00",
            idempotency_key=f"k{person.pk}",
        )
    admin_person = tree.person("韩管理员", tree.hr_office, kind=Person.Kind.STAFF, number="T0100")
    sysadmin = tree.account("", (Role.SYSTEM_ADMIN, tree.school), person=admin_person)
    sup_person = tree.person("孙督导", tree.hr_office, kind=Person.Kind.STAFF, number="T0101")
    supervisor = tree.account("", (Role.SUPERVISION, tree.school), person=sup_person)

    page = _signed_in(phone_page, live_server, adviser)
    heights = {
        "people": _check(page, "/people/", "people", rows=60),
        "roll": _check(page, "/checkins/lists/?show=all", "roll", rows=60),
        "missing": _check(page, "/checkins/lists/?show=missing", "missing", rows=60),
        "queue": _check(page, "/followup/queue/", "queue"),
        "dashboard": _check(page, "/followup/dashboard/", "dashboard"),
    }
    page = _signed_in(phone_page, live_server, sysadmin)
    heights |= {
        "visitors": _check(page, "/followup/visitors/", "visitors"),
        "gate-events": _check(page, "/gates/events/", "gate-events"),
        "accounts": _check(page, "/people/accounts/", "accounts"),
        "privacy": _check(page, "/privacy/requests/", "privacy-requests"),
    }
    page = _signed_in(phone_page, live_server, supervisor)
    heights["audit"] = _check(page, "/audit/", "audit")
    print("page heights at 390 px:", heights)
    assert heights["roll"] < 7500
