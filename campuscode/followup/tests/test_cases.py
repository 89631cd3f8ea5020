"""Follow-up cases (R5.3): opened by a fever, persistent symptoms or a red status; the
person reports progress with a photo; only the health office and the department's
leadership see the case, every view audited; the health office closes it with a note."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from campuscode.audit.models import AuditEntry
from campuscode.checkins.models import Checkin
from campuscode.core.rules import set_setting
from campuscode.followup.models import CaseState, FollowupCase
from campuscode.notify.models import Notice
from campuscode.people.models import Role
from conftest import sign_in

from .conftest import HEALTH

pytestmark = pytest.mark.django_db


def check_in(client, point, **data):
    from campuscode.checkins.tokens import screen_token

    path = f"/checkins/p/{point.pk}/{screen_token(point.pk)}/"
    key = client.get(path).context["form"].initial["key"]
    return client.post(path, {**HEALTH, **data, "key": key})


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Cases open after the check-in commits: run those callbacks in these tests."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    return SimpleUploadedFile("病历.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_a_fever_opens_a_case_for_the_health_office_and_the_department(
    client, student, point, health_officer, dept_admin, on_commit, time_machine
):
    time_machine.move_to("2026-03-02 08:00 +0800", tick=False)
    sign_in(client, student.user)
    on_commit(check_in, client, point, temperature="38.2", symptoms=["fever"])
    case = FollowupCase.objects.get()
    assert (case.person, case.trigger, case.state) == (student, "fever", CaseState.OPEN)
    told = {n.user_id for n in Notice.objects.filter(kind="case_opened")}
    assert told == {student.user_id, health_officer.pk, dept_admin.pk}
    # A second fever while the case is open does not open another.
    time_machine.move_to("2026-03-02 13:00 +0800", tick=False)
    on_commit(check_in, client, point, temperature="38.0", symptoms=["fever"])
    assert FollowupCase.objects.count() == 1
    page = client.get("/followup/").content.decode()
    assert f'href="/followup/cases/{case.pk}/"' in page


def test_the_same_symptom_on_n_checkins_in_a_row_opens_a_case(
    client, student, point, on_commit, time_machine
):
    set_setting(key="followup_persistent_checkins", value=3)
    sign_in(client, student.user)
    for moment in ("2026-03-02 08:00", "2026-03-02 13:00"):
        time_machine.move_to(moment + " +0800", tick=False)
        on_commit(check_in, client, point, symptoms=["cough"])
    assert not FollowupCase.objects.exists()
    time_machine.move_to("2026-03-03 08:00 +0800", tick=False)
    on_commit(check_in, client, point, symptoms=["cough", "fatigue"])
    case = FollowupCase.objects.get()
    assert (case.trigger, case.detail["symptom"]) == ("persistent", "cough")


def test_a_red_status_opens_a_case(client, student, point, on_commit, time_machine):
    time_machine.move_to("2026-03-02 08:00 +0800", tick=False)
    sign_in(client, student.user)
    on_commit(
        check_in,
        client,
        point,
        contact="confirmed",
        contact_at="2026-02-28T19:00",
        contact_place="餐厅",
        contact_manner="同桌",
    )
    assert FollowupCase.objects.get().trigger == "red"
    assert Checkin.objects.get().colour == "red"


def _case(student):
    from campuscode.followup.cases import open_case

    return open_case(person=student, trigger="fever", detail={"temperature": "38.5"})


def test_the_person_reports_progress_with_a_photo_of_a_medical_note(
    client, student, health_officer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    case = _case(student)
    sign_in(client, student.user)
    page = client.get(f"/followup/cases/{case.pk}/")
    assert page.status_code == 200
    response = client.post(
        f"/followup/cases/{case.pk}/",
        {"text": "已就诊，诊断为普通感冒", "attachment": photo(), "key": form_key_of(page)},
    )
    assert response.status_code == 302
    event = case.events.get(kind="progress")
    assert event.attachment.name.startswith(f"followup/{case.pk}/")
    assert "病历" not in event.attachment.name
    sign_in(client, health_officer)
    picture = client.get(f"/followup/attachments/{event.pk}/")
    assert picture.status_code == 200 and picture["Content-Type"] == "image/jpeg"
    # Reading it all lets the test client close the file.
    assert b"".join(picture.streaming_content).startswith(b"\xff\xd8")
    assert AuditEntry.objects.filter(action="followup.attachment.viewed", subject=student).exists()


def form_key_of(page) -> str:
    return page.context["progress_form"].initial["key"]


def test_it_refuses_an_attachment_that_is_not_a_photo(client, student, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = _case(student)
    sign_in(client, student.user)
    page = client.get(f"/followup/cases/{case.pk}/")
    fake = SimpleUploadedFile("note.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    response = client.post(
        f"/followup/cases/{case.pk}/", {"text": "x", "attachment": fake, "key": form_key_of(page)}
    )
    assert response.status_code == 400
    assert [e.code for e in response.context["progress_form"].errors.as_data()["attachment"]] == [
        "not_image"
    ]


def test_only_the_health_office_and_the_department_see_a_case(
    client, tree, student, other_student, adviser, health_officer, dept_admin, outsider
):
    case = _case(student)
    lang_admin = tree.account("lang-admin", (Role.DEPARTMENT_ADMIN, tree.lang))
    for user in (adviser, outsider, other_student.user, lang_admin):
        sign_in(client, user)
        assert client.get(f"/followup/cases/{case.pk}/").status_code == 404
    for user in (health_officer, dept_admin):
        sign_in(client, user)
        assert client.get(f"/followup/cases/{case.pk}/").status_code == 200
        dashboard = client.get("/followup/dashboard/").content.decode()
        assert f'data-case="{case.pk}"' in dashboard
    viewed = AuditEntry.objects.filter(action="followup.case.viewed", subject=student)
    assert {e.actor_id for e in viewed} == {health_officer.pk, dept_admin.pk}
    sign_in(client, adviser)
    assert f'data-case="{case.pk}"' not in client.get("/followup/dashboard/").content.decode()


def test_the_health_office_follows_and_closes_a_case_with_a_note(
    client, student, health_officer, dept_admin
):
    case = _case(student)
    sign_in(client, dept_admin)
    client.post(f"/followup/cases/{case.pk}/state/", {"state": "treatment", "note": "已住院"})
    assert FollowupCase.objects.get().state == CaseState.TREATMENT
    # Closing is the health office's.
    assert client.post(f"/followup/cases/{case.pk}/close/", {"note": "x"}).status_code == 404
    sign_in(client, student.user)
    assert client.post(f"/followup/cases/{case.pk}/close/", {"note": "x"}).status_code == 404
    assert (
        client.post(f"/followup/cases/{case.pk}/state/", {"state": "recovered"}).status_code == 404
    )
    sign_in(client, health_officer)
    client.post(f"/followup/cases/{case.pk}/state/", {"state": "recovered"})
    client.post(f"/followup/cases/{case.pk}/close/", {"note": ""})
    assert FollowupCase.objects.get().state == CaseState.RECOVERED  # a note is required
    client.post(f"/followup/cases/{case.pk}/close/", {"note": "复查正常，结案"})
    case.refresh_from_db()
    assert (case.state, case.closed_by, case.close_note) == (
        CaseState.CLOSED,
        health_officer,
        "复查正常，结案",
    )
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == ["opened", "state", "state", "closed"]
    assert AuditEntry.objects.filter(action="followup.case.closed", subject=student).exists()
    # A closed case takes no more reports.
    sign_in(client, student.user)
    page = client.get(f"/followup/cases/{case.pk}/")
    assert page.context["progress_form"] is None


def test_a_red_status_set_by_the_health_office_opens_a_case(
    client, student, health_officer, on_commit
):
    sign_in(client, health_officer)
    on_commit(
        client.post,
        f"/checkins/people/{student.pk}/",
        {"colour": "red", "reason": "核酸阳性"},
    )
    case = FollowupCase.objects.get()
    assert (case.trigger, case.detail["note"]) == ("red", "核酸阳性")
