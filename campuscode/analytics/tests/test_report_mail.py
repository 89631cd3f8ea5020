"""Periodic reports by e-mail (R6.3): each reader's e-mail carries the report's XLSX and
PDF, made when it is sent, from what that reader's scope reaches; the group robots get the
words and the link; nothing is sent twice."""

import io
import re
from datetime import date

import pytest
from django.core import mail
from django.core.management import call_command
from openpyxl import load_workbook

from campuscode.analytics.models import Report
from campuscode.audit.models import AuditEntry
from campuscode.core.spreadsheets import XLSX_TYPE
from campuscode.notify.models import Delivery
from campuscode.notify.services import retry_due, set_preference
from campuscode.people.models import RoleAssignment
from campuscode.people.registry import revoke_role

pytestmark = pytest.mark.django_db

READERS = ("adviser", "other_adviser", "dept_admin", "health")


@pytest.fixture
def by_email(roles):
    for name in READERS:
        set_preference(user=roles[name], channel="email")
    return roles


def mail_to(user) -> mail.EmailMessage:
    found = [m for m in mail.outbox if m.to == [user.person.email]]
    assert len(found) == 1, [m.to for m in mail.outbox]
    return found[0]


def files_of(message) -> dict[str, tuple[str, bytes]]:
    """{extension: (file name, content)}, after checking each part's content type."""
    files = {}
    for name, content, mimetype in message.attachments:
        extension = name.rsplit(".", 1)[-1]
        assert mimetype == {"xlsx": XLSX_TYPE, "pdf": "application/pdf"}[extension]
        files[extension] = (name, content)
    return files


def units_in(xlsx: bytes) -> set[str]:
    book = load_workbook(io.BytesIO(xlsx))
    sheet = next(ws for ws in book.worksheets if ws.title == "按单位")
    return {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}


def test_it_emails_each_reader_the_xlsx_and_pdf_of_their_own_scope(
    school, by_email, django_capture_on_commit_callbacks
):
    roles = by_email
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send-reports", "--period", "daily", "--date", "2026-03-03")
    assert len(mail.outbox) == 4
    tree = school.tree
    expected_units = {
        # An adviser's class has no units under it: its one row is the class.
        "adviser": {"计科2501班"},
        "other_adviser": {"英语2501班"},
        "dept_admin": {"计算机学院", "计科2501班", "计科2502班"},
        "health": {"主校区", "东校区"},
    }
    for name, units in expected_units.items():
        message = mail_to(roles[name])
        report = Report.objects.get(pk=re.search(r"/analytics/reports/(\d+)/", message.body)[1])
        files = files_of(message)
        assert set(files) == {"xlsx", "pdf"}, name
        assert files["xlsx"][0].startswith(f"报表 {report.unit.name} 2026-03-03")
        assert units_in(files["xlsx"][1]) == units, name
        assert files["pdf"][1].startswith(b"%PDF") and b"STSong-Light" in files["pdf"][1]
    adviser_report = Report.objects.get(unit=tree.cs_2501)
    assert f"/analytics/reports/{adviser_report.pk}/" in mail_to(roles["adviser"]).body
    # Each file set is on the record, the reader named; the delivery keeps no arguments.
    emailed = AuditEntry.objects.filter(action="analytics.report.emailed")
    assert {entry.data["reader"] for entry in emailed} == {roles[n].pk for n in READERS}
    assert {entry.data["formats"] == ["xlsx", "pdf"] for entry in emailed} == {True}
    sent = Delivery.objects.filter(channel="email", kind="analysis_report")
    assert [(d.status, d.attach) for d in sent] == [("sent", None)] * 4

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send-reports", "--period", "daily", "--date", "2026-03-03")
    assert mail.outbox == []


def test_a_reader_who_lost_the_scope_before_the_send_gets_no_files(
    school, by_email, django_capture_on_commit_callbacks
):
    """The files are made at send time: a retry after the role was taken away carries the
    words only (the link then answers 404)."""
    roles = by_email
    with django_capture_on_commit_callbacks(execute=False):
        call_command("send-reports", "--period", "daily", "--date", "2026-03-03")
    assert mail.outbox == []  # queued, not sent yet
    queued = Delivery.objects.get(channel="email", user=roles["adviser"])
    assert queued.attach == {"report": Report.objects.get(unit=school.tree.cs_2501).pk}
    assignment = RoleAssignment.objects.get(user=roles["adviser"])
    assert revoke_role(actor=roles["sysadmin"], assignment=assignment).ok
    retry_due()
    assert mail_to(roles["adviser"]).attachments == []
    assert set(files_of(mail_to(roles["dept_admin"]))) == {"xlsx", "pdf"}
    readers = AuditEntry.objects.filter(action="analytics.report.emailed").values_list(
        "data__reader", flat=True
    )
    assert roles["adviser"].pk not in set(readers)


def test_text_messages_and_group_robots_get_the_words_and_the_link(
    school, roles, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://code.example.edu.cn"
    settings.WECOM_ROBOTS = {"*": ("http://127.0.0.1:9/robot", "")}
    with django_capture_on_commit_callbacks(execute=False):
        call_command("send-reports", "--period", "daily", "--date", "2026-03-03")
    report = Report.objects.get(unit=school.tree.cs_2501)
    link = f"https://code.example.edu.cn/analytics/reports/{report.pk}/"
    robot = Delivery.objects.get(channel="wecom", recipient__startswith="计科2501班")
    sms = Delivery.objects.get(channel="sms", user=roles["adviser"])  # a phone is on file
    for delivery in (robot, sms):
        assert link in delivery.body and delivery.attach is None
    assert not Delivery.objects.filter(attach__isnull=False).exists()


def test_the_report_page_keeps_its_download_buttons(client, school, roles):
    from campuscode.analytics.reports import send_reports
    from conftest import sign_in

    send_reports(period="daily", day=date(2026, 3, 3))
    report = Report.objects.get(unit=school.tree.cs_2501)
    page = sign_in(client, roles["adviser"]).get(f"/analytics/reports/{report.pk}/")
    html = page.content.decode()
    assert f"/analytics/reports/{report.pk}/export.xlsx" in html
    assert f"/analytics/reports/{report.pk}/report.pdf" in html


def test_the_demo_outbox_lists_the_attachments_by_name(
    school, by_email, settings, capsys, django_capture_on_commit_callbacks
):
    from campuscode.accounts.models import OutboxMessage

    settings.EMAIL_BACKEND = "campuscode.accounts.mail.OutboxBackend"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send-reports", "--period", "daily", "--date", "2026-03-03")
    kept = OutboxMessage.objects.get(to=by_email["adviser"].person.email)
    assert "计科2501班 2026-03-03–2026-03-03.xlsx · " in kept.body
    assert "计科2501班 2026-03-03–2026-03-03.pdf · application/pdf" in kept.body
    assert "base64" not in capsys.readouterr().out  # the files are not printed
