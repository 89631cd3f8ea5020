import pytest
from django.conf import settings
from django.test import Client

from campuscode.audit.models import AuditEntry
from campuscode.people.models import Person, Role
from conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(page, live_server, user):
    """Hand the browser a session made by the test client: sign-in has its own tests."""
    session = sign_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    return page


def test_an_adviser_finds_a_student_on_a_phone_and_reveals_the_phone(
    phone_page, live_server, tree, adviser
):
    for seat in range(1, 8):
        tree.person(f"学生{seat}号", tree.cs_2501)
    target = tree.person("欧阳小明", tree.cs_2501, number="20259999")
    page = _signed_in(phone_page, live_server, adviser)
    page.goto("/people/")
    page.fill("input[name=q]", "欧阳")
    page.click("form.filters button")
    page.wait_for_function("() => document.querySelectorAll('tr[data-person]').length === 1")
    assert page.locator(f'tr[data-person="{target.pk}"]').count() == 1
    assert "q=" in page.url  # htmx pushed the filter into the address
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "people-list-phone")
    page.click(f'tr[data-person="{target.pk}"] a >> nth=0')
    page.wait_for_selector("#contact")
    assert page.inner_text('[data-field="phone"]') == target.masked_phone
    page.click("#contact button")
    page.locator('[data-field="phone"]', has_text=target.phone).wait_for()
    assert page.inner_text('[data-field="email"]') == target.email
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "people-detail-revealed-phone")
    entry = AuditEntry.objects.get(action="people.contact.revealed")
    assert (entry.actor, entry.subject, entry.ip) == (adviser, target, "127.0.0.1")


def test_a_supervisor_filters_the_audit_log_on_a_desktop(desktop_page, live_server, tree, student):
    staff = tree.person("孙督导", tree.hr_office, kind=Person.Kind.STAFF, number="T0007")
    supervisor = tree.account("", (Role.SUPERVISION, tree.school), person=staff)
    viewer = tree.account("itadmin", (Role.SYSTEM_ADMIN, tree.school))
    viewed = sign_in(Client(), viewer)
    viewed.get(f"/people/{student.pk}/")
    viewed.post(f"/people/{student.pk}/reveal/")
    page = _signed_in(desktop_page, live_server, supervisor)
    page.goto("/audit/")
    page.fill("input[name=whom]", student.number)
    page.select_option("select[name=action]", "people.contact.revealed")
    page.click("form.filters button")
    page.wait_for_function("() => document.querySelectorAll('tr[data-entry]').length === 1")
    assert "查看完整联系方式" in page.inner_text("tr[data-entry]")  # the action's readable name
    assert "action=people.contact.revealed" in page.url
    screenshot(page, "audit-log-desktop")


def test_the_admin_pages_fit_a_phone(phone_page, live_server, tree, sysadmin, adviser):
    for seat in range(1, 6):
        tree.person(f"同学{seat}", tree.cs_2501)
    person = adviser.person
    page = _signed_in(phone_page, live_server, sysadmin)
    for path, name in [
        ("/people/", "people-list-all-phone"),
        ("/people/accounts/", "accounts-phone"),
        (f"/people/accounts/{adviser.pk}/", "account-detail-phone"),
        (f"/people/{person.pk}/edit/", "person-edit-phone"),
        ("/audit/", "audit-log-phone"),
    ]:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        screenshot(page, name)
    # Editing on the phone: a bad mobile number comes back as a field error.
    page.goto(f"/people/{person.pk}/edit/")
    page.fill("input[name=phone]", "12345")
    page.click("form button.btn")
    page.wait_for_selector('ul.errorlist[data-field="phone"]')
    screenshot(page, "person-edit-error-phone")
