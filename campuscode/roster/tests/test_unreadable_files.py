"""An unreadable spreadsheet (issue 8, hole 10): a zip of an odd version, a corrupt or
truncated workbook is one clear message with no row errors, on the upload page and in
`campuscode import-roster`, never an internal error; nobody is imported."""

import pytest
from django.core.management import CommandError, call_command

from campuscode.core.tests.test_spreadsheets import UNREADABLE
from campuscode.people.models import Person
from campuscode.roster.models import ImportJob, ImportRowError
from conftest import sign_in

pytestmark = pytest.mark.django_db

CASES = ["odd zip version", "corrupt zip", "truncated", "broken sheet"]


@pytest.mark.parametrize("case", CASES)
def test_the_upload_page_says_the_file_cannot_be_read(
    client, sysadmin, tmp_path, django_capture_on_commit_callbacks, case
):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(UNREADABLE[case]())
    people = Person.objects.count()
    sign_in(client, sysadmin)
    with django_capture_on_commit_callbacks(execute=True), open(path, "rb") as handle:
        response = client.post("/roster/", {"file": handle})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert (job.state, job.problem) == ("failed", "unreadable")
    assert not ImportRowError.objects.filter(job=job).exists()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "无法按 XLSX 或 CSV 格式读取该文件" in page.content.decode()
    assert Person.objects.count() == people


@pytest.mark.parametrize("case", CASES)
def test_the_command_says_the_file_cannot_be_read(tree, tmp_path, case):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(UNREADABLE[case]())
    with pytest.raises(CommandError, match="无法按 XLSX 或 CSV 格式读取该文件"):
        call_command("import_roster", str(path), "--yes")
    assert ImportJob.objects.get().problem == "unreadable"
