"""My data (PIPL Art. 44–45): a signed-in person sees what is held about them, who
processed it (by role), and downloads all of it as XLSX or JSON."""

import io
import json

import pytest
from openpyxl import load_workbook

from campuscode.audit.models import AuditEntry
from conftest import sign_in

from .conftest import checkin, gate_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(client, student, adviser, point, gate, time_machine):
    time_machine.move_to("2026-03-02 08:00 +0800", tick=False)
    checkin(student, point, "2026-03-02 08:00", symptom_detail='=HYPERLINK("http://x","y")')
    checkin(student, point, "2026-03-02 13:00")
    gate_event(student, gate, "2026-03-02 07:50")
    # The class adviser opens the student's check-in history: an audited read.
    sign_in(client, adviser)
    assert client.get(f"/checkins/people/{student.pk}/").status_code == 200
    client.logout()
    return student


def test_it_shows_what_is_held_and_who_read_it_by_role(client, held):
    sign_in(client, held.user)
    response = client.get("/privacy/my-data/")
    assert response.status_code == 200
    sections = {s.key: s for s in response.context["sections"]}
    assert sections["registry"].rows[0]["number"] == held.number
    assert sections["checkins"].count == 2
    assert sections["gate_events"].count == 1
    readers = sections["processing"]
    assert readers.count == 1
    page = response.content.decode()
    assert "班主任" in readers.rows[0]["by"]
    assert "王老师" not in page  # the reader is named by role, not by name
    assert 'href="/privacy/my-data/download.xlsx"' in page


def test_the_downloads_hold_everything_with_formulas_escaped(client, held):
    sign_in(client, held.user)
    response = client.get("/privacy/my-data/download.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    book = load_workbook(io.BytesIO(response.content))
    assert "健康打卡记录" in book.sheetnames
    cells = [c.value for row in book["健康打卡记录"].iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x","y")' in cells

    response = client.get("/privacy/my-data/download.json")
    body = json.loads(response.content)
    assert body["sections"]["checkins"]["count"] == 2
    assert len(body["sections"]["checkins"]["rows"]) == 2
    assert body["sections"]["registry"]["rows"][0]["name"] == held.name
    exported = AuditEntry.objects.filter(action="privacy.my_data.exported", subject=held)
    assert exported.count() == 2


def test_an_account_without_a_person_sees_its_account_and_cannot_file(client, outsider):
    sign_in(client, outsider)
    response = client.get("/privacy/my-data/")
    assert response.status_code == 200
    assert [s.key for s in response.context["sections"]] == ["account", "roles"]
    response = client.post(
        "/privacy/my-data/", {"key": "k1", "kind": "correction", "text": "电话错了"}
    )
    assert response.status_code == 400


def test_it_needs_a_sign_in(client):
    response = client.get("/privacy/my-data/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_menu_links_to_it(client, student):
    sign_in(client, student.user)
    page = client.get("/").content.decode()
    assert 'href="/privacy/my-data/"' in page
    assert 'href="/privacy/register/"' not in page
