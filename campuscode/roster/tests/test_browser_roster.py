import pytest

from campuscode.people.models import Person
from campuscode.roster.tests.conftest import student_row
from conftest import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_uploads_on_a_phone_sees_the_errors_and_imports_the_good_rows(
    phone_page, sysadmin, xlsx
):
    path = xlsx([student_row(1), student_row(2, phone="12345"), student_row(3)])
    page = phone_page
    page.goto("/roster/")
    page.fill("input[name=username]", "itadmin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn")
    page.set_input_files("input[name=file]", str(path))
    page.click("form.roster-upload button.btn")
    page.wait_for_selector(".roster-counts")
    assert page.inner_text("[data-count=bad]").strip() == "1"
    assert page.is_disabled("button[value=all]")
    screenshot(page, "roster-preview-phone")
    page.click("button[value=good]")
    page.wait_for_selector(".roster-outcome")
    screenshot(page, "roster-done-phone")
    assert Person.objects.filter(number__startswith="2026").count() == 2
