"""The whole school's check-in list on a phone: colleges first, then a college's classes,
through the links and through the unit menu (htmx swaps the menu and the chart)."""

import pytest

from campuscode.core.rules import set_setting
from campuscode.people.models import OrgUnit, Person, Role
from conftest import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_health_office_drills_down_from_the_colleges_on_a_phone(phone_page, tree, time_machine):
    time_machine.move_to("2026-03-02 11:00 +0800", tick=True)
    set_setting(key="checkin_list_unit_rows", value=10)
    for college, prefix in ((tree.cs, "计科"), (tree.lang, "英语")):
        for n in range(1, 7):
            klass = OrgUnit.objects.get_or_create(
                parent=college, kind=OrgUnit.Kind.CLASS, name=f"{prefix}25{n:02d}班"
            )[0]
            for m in range(2):
                tree.person(f"{prefix}{n}{m}同学", klass, account=False)
    tree.person("医生", tree.clinic, kind=Person.Kind.STAFF, account=False)
    tree.account("health-school", (Role.HEALTH_OFFICE, tree.school))
    page = phone_page
    page.goto("/checkins/lists/")
    page.fill("input[name=username]", "health-school")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn")
    page.wait_for_selector(f"table.unit-counts tr[data-unit='{tree.cs.pk}']")
    rows = page.locator("table.unit-counts tbody tr")
    assert rows.count() == 3  # 计算机学院, 外国语学院, 校医院
    assert page.locator("#f-unit option").count() == 5
    screenshot(page, "checkins-lists-school-phone")
    page.click(f"table.unit-counts tr[data-unit='{tree.cs.pk}'] a")
    page.wait_for_selector("#unit-path strong")
    assert page.inner_text("#unit-path strong") == "计算机学院"
    assert page.locator("table.unit-counts tbody tr").count() == 6
    screenshot(page, "checkins-lists-college-phone")
    # The menu: back up to the campus, the htmx swap brings the campus's units.
    page.select_option("#f-unit", str(tree.main_campus.pk))
    page.wait_for_selector(f"#f-unit option[value='{tree.clinic.pk}']", state="attached")
    assert page.inner_text("#unit-path strong") == "主校区"
