"""A student attaches a PNG with a script appended, named note.html; the health officer
opens it from the case page in a real Chromium and the script does not run (issue 8)."""

import pytest

from campuscode.followup.models import CaseEvent
from conftest import PASSWORD, screenshot, sign_in

from .test_attachments import SCRIPT, png, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_script_in_an_uploaded_attachment_does_not_run(
    client, desktop_page, student, health_officer, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from campuscode.followup.cases import open_case

    settings.MEDIA_ROOT = tmp_path / "media"
    case = open_case(person=student, trigger="fever", detail={"temperature": "38.5"})
    sign_in(client, student.user)
    upload = SimpleUploadedFile("note.html", png() + SCRIPT, content_type="text/html")
    assert send(client, case, upload).status_code == 302
    event = CaseEvent.objects.get(kind="progress")

    page = desktop_page
    hits = []  # the appended script would fetch('/hit') and rename the tab
    page.on("request", lambda request: hits.append(request.url) if "/hit" in request.url else 0)
    page.goto(f"/followup/cases/{case.pk}/")
    page.fill("input[name=username]", "T0009")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn")
    link = page.locator(f"a[href='/followup/attachments/{event.pk}/']")
    link.wait_for()
    with page.expect_navigation():
        link.click()
    page.wait_for_timeout(500)  # time enough for an inline script to have run
    screenshot(page, "followup-attachment-opened")
    assert page.evaluate("document.title") != "pwned"
    assert page.evaluate("document.contentType") == "image/png"
    assert hits == []
