"""Medical-note photos on a follow-up case (issue 8, hole 1): a PNG with HTML appended and
named note.html is stored as .png and served as image/png that cannot run; anything that is
not a photo, too large or too many pixels is refused with a message and nothing stored;
files stored before the fix are served by what their bytes are, never by their name."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from campuscode.audit.models import AuditEntry
from campuscode.core.rules import set_setting
from campuscode.followup.models import CaseEvent
from conftest import sign_in

pytestmark = pytest.mark.django_db

SCRIPT = b"<html><body><script>document.title='pwned';fetch('/hit')</script></body></html>"


def png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    return buffer.getvalue()


def polyglot() -> SimpleUploadedFile:
    """A valid PNG (Pillow opens and verifies it) with a page appended, sent as a page."""
    return SimpleUploadedFile("note.html", png() + SCRIPT, content_type="text/html")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.fixture
def case(student):
    from campuscode.followup.cases import open_case

    return open_case(person=student, trigger="fever", detail={"temperature": "38.5"})


def send(client, case, upload):
    page = client.get(f"/followup/cases/{case.pk}/")
    key = page.context["progress_form"].initial["key"]
    return client.post(
        f"/followup/cases/{case.pk}/", {"text": "已就诊", "attachment": upload, "key": key}
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content)  # reading it all closes the file


def test_a_png_with_a_page_appended_is_stored_as_png_and_served_as_an_image(
    client, case, student, health_officer, media
):
    sign_in(client, student.user)
    assert send(client, case, polyglot()).status_code == 302
    event = CaseEvent.objects.get(case=case, kind="progress")
    assert event.attachment.name.endswith(".png")
    assert "note" not in event.attachment.name and ".html" not in event.attachment.name

    sign_in(client, health_officer)
    served = client.get(f"/followup/attachments/{event.pk}/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert served["Content-Disposition"].startswith("inline")
    stored = body(served)
    assert stored.startswith(b"\x89PNG") and b"<script" not in stored  # re-encoded
    viewed = AuditEntry.objects.get(action="followup.attachment.viewed")
    assert (viewed.actor, viewed.subject) == (health_officer, student)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("note.html", SCRIPT, "text/html"),
        ("note.png", SCRIPT, "image/png"),  # a page claiming to be a PNG
        ("note.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        ("note.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
    ],
)
def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_stored(
    client, case, student, media, name, content, content_type
):
    sign_in(client, student.user)
    response = send(client, case, SimpleUploadedFile(name, content, content_type=content_type))
    assert response.status_code == 400
    errors = response.context["progress_form"].errors.as_data()["attachment"]
    assert [e.code for e in errors] == ["not_image"]
    assert "请上传照片" in response.content.decode()
    assert not CaseEvent.objects.filter(kind="progress").exists()
    assert stored_files(media) == []


def test_an_oversize_photo_is_refused(client, case, student, media):
    set_setting(key="followup_attachment_max_mb", value=1)
    sign_in(client, student.user)
    big = SimpleUploadedFile("big.png", png() + b"\0" * (1024 * 1024), content_type="image/png")
    response = send(client, case, big)
    assert response.status_code == 400
    errors = response.context["progress_form"].errors.as_data()["attachment"]
    assert [e.code for e in errors] == ["too_large"]
    assert "照片超过 1 MB" in response.content.decode()
    assert stored_files(media) == []


def test_a_photo_with_too_many_pixels_is_refused(client, case, student, media):
    set_setting(key="followup_attachment_max_megapixels", value=1)
    sign_in(client, student.user)
    wide = SimpleUploadedFile("wide.png", png((1200, 1000)), content_type="image/png")
    response = send(client, case, wide)
    assert response.status_code == 400
    errors = response.context["progress_form"].errors.as_data()["attachment"]
    assert [e.code for e in errors] == ["too_many_pixels"]
    assert stored_files(media) == []


def _legacy(case, media, name: str, content: bytes) -> CaseEvent:
    """An attachment stored before the fix, under the extension the sender chose."""
    stored = f"followup/{case.pk}/{name}"
    (media / stored).parent.mkdir(parents=True, exist_ok=True)
    (media / stored).write_bytes(content)
    return CaseEvent.objects.create(
        case=case, kind="progress", at=case.opened_at, attachment=stored
    )


def test_an_attachment_stored_before_the_fix_is_served_by_its_content(
    client, case, student, health_officer, media
):
    image = _legacy(case, media, "a.html", png() + SCRIPT)
    page = _legacy(case, media, "b.html", SCRIPT)
    sign_in(client, health_officer)
    served = client.get(f"/followup/attachments/{image.pk}/")
    assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"
    body(served)
    served = client.get(f"/followup/attachments/{page.pk}/")
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["Content-Security-Policy"] == "sandbox; default-src 'none'"
    body(served)


def test_only_the_person_the_uploader_and_case_followers_open_an_attachment(
    client, tree, case, student, adviser, health_officer, dept_admin, outsider, media
):
    from campuscode.people.models import Role

    sign_in(client, student.user)
    send(client, case, polyglot())
    event = CaseEvent.objects.get(kind="progress")
    lang_admin = tree.account("lang-admin", (Role.DEPARTMENT_ADMIN, tree.lang))
    for user in (adviser, outsider, lang_admin):
        sign_in(client, user)
        assert client.get(f"/followup/attachments/{event.pk}/").status_code == 404
    for user in (student.user, health_officer, dept_admin):
        sign_in(client, user)
        response = client.get(f"/followup/attachments/{event.pk}/")
        assert response.status_code == 200
        body(response)
    viewers = {e.actor_id for e in AuditEntry.objects.filter(action="followup.attachment.viewed")}
    assert viewers == {health_officer.pk, dept_admin.pk}


def test_a_photo_is_stored_upright_without_its_gps_position(client, case, student, media):
    """A phone photo's EXIF carries where it was taken; the stored copy keeps the pixels only."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to show upright
    exif[0x8825] = {2: (31.0, 12.0, 30.0), 4: (121.0, 28.0, 10.0)}  # GPS latitude, longitude
    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), "white").save(buffer, "JPEG", exif=exif)
    upload = SimpleUploadedFile("IMG_0001.jpg", buffer.getvalue(), content_type="image/jpeg")
    sign_in(client, student.user)
    assert send(client, case, upload).status_code == 302
    event = CaseEvent.objects.get(case=case, kind="progress")
    with Image.open(event.attachment.path) as stored:
        assert stored.format == "JPEG" and stored.size == (20, 60)  # turned upright
        assert not stored.getexif()
