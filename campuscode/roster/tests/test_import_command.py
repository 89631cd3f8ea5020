"""The import through `campuscode import-roster`: files, normalisation, idempotency."""

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from campuscode.audit.models import AuditEntry
from campuscode.people.models import OrgUnit, Person, hash_id_number
from campuscode.roster.models import ImportJob, ImportRowError, RowProblem, StagedRow
from campuscode.roster.tests.conftest import HEADERS_EN, student_row
from conftest import make_id_number

pytestmark = pytest.mark.django_db


def run(path, *args):
    call_command("import_roster", str(path), "--yes", *args)
    return ImportJob.objects.latest("id")


def imported(prefix="2026"):
    return Person.objects.filter(number__startswith=prefix).order_by("number")


def problems(job):
    return sorted((e.row, e.field, e.code) for e in ImportRowError.objects.filter(job=job))


def test_it_imports_an_xlsx_with_chinese_headers(tree, xlsx):
    rows = [student_row(1), student_row(2, klass="计科2502班")]
    job = run(xlsx(rows))
    assert (job.state, job.written_new, job.bad) == ("done", 2, 0)
    first = imported().first()
    assert (first.number, first.org_unit, first.kind) == ("20260001", tree.cs_2501, "student")
    assert first.id_hash == hash_id_number(rows[0][2]) and first.id_last4 == rows[0][2][-4:]
    assert first.phone == "13912340001" and first.email == "s1@example.edu.cn"
    assert first.user is None  # accounts come from claiming (R3.4), not from the import


def test_it_reads_english_headers_below_a_title_row(tree, xlsx):
    path = xlsx([student_row(1)], headers=HEADERS_EN, title_rows=[["2026级新生名单"], []])
    job = run(path)
    assert job.header_row == 3 and job.written_new == 1


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_it_reads_csv_in_utf8_and_in_gbk(tree, csvfile, encoding):
    job = run(csvfile([student_row(1, name="张三"), student_row(2)], encoding=encoding))
    assert job.written_new == 2
    assert imported().first().name == "张三"


def test_reimporting_the_same_file_changes_nothing(tree, xlsx):
    path = xlsx([student_row(i) for i in range(1, 6)])
    run(path)
    before = list(imported().values_list("pk", "updated_at"))
    job = run(path)
    assert (job.new, job.updated, job.unchanged) == (0, 0, 5)
    assert (job.written_new, job.written_updated) == (0, 0)
    assert list(imported().values_list("pk", "updated_at")) == before


def test_a_changed_row_updates_that_person_only(tree, xlsx):
    run(xlsx([student_row(1), student_row(2)], name="a.xlsx"))
    changed = student_row(2, klass="计科2502班", phone="13700000000")
    job = run(xlsx([student_row(1), changed], name="b.xlsx"))
    assert (job.new, job.updated, job.unchanged) == (0, 1, 1)
    person = imported().get(number="20260002")
    assert (person.org_unit, person.phone) == (tree.cs_2502, "13700000000")
    assert imported().count() == 2


def test_blank_optional_cells_keep_what_is_registered(tree, xlsx):
    run(xlsx([student_row(1)], name="a.xlsx"))
    job = run(xlsx([student_row(1, phone="", email=None)], name="b.xlsx"))
    assert job.unchanged == 1
    assert imported().get().phone == "13912340001"


def test_full_width_characters_and_stray_spaces_are_cleaned(tree, xlsx):
    row = student_row(1, name=" 张 三 ", klass="计科２５０１班 ", phone="139 1234 0001")
    row[0] = "２０２６０００１ "
    job = run(xlsx([row]))
    assert job.bad == 0 and job.new_units == []
    person = imported().get()
    assert (person.number, person.name, person.org_unit) == ("20260001", "张三", tree.cs_2501)
    assert person.phone == "13912340001"


def test_excel_numbers_are_read_as_the_digits_they_show(tree, xlsx):
    old_id = "110101850315123"  # a 15-digit ID fits in Excel's 15 significant digits
    row = student_row(1, id=int(old_id), phone=13912340001.0)
    row[0] = 2.0260001e7
    job = run(xlsx([row]))
    person = imported().get()
    assert (job.bad, person.number, person.phone) == (0, "20260001", "13912340001")
    assert person.id_hash == hash_id_number(old_id)


def test_an_id_number_stored_as_a_number_is_refused_not_guessed(tree, xlsx, csvfile):
    long_id = int(make_id_number(7)[:17] + "0")
    with pytest.raises(CommandError):
        run(xlsx([student_row(1, id=long_id)]))
    assert problems(ImportJob.objects.latest("id")) == [(2, "id_number", "id_as_number")]
    with pytest.raises(CommandError):
        run(csvfile([student_row(1, id="1.10101E+17")]))
    assert problems(ImportJob.objects.latest("id")) == [(2, "id_number", "id_as_number")]


def test_an_identical_repeated_row_is_counted_once_not_an_error(tree, xlsx):
    job = run(xlsx([student_row(1), student_row(2), student_row(1)]))
    assert (job.rows, job.duplicates, job.bad, job.written_new) == (3, 1, 0, 2)


def test_a_repeated_number_with_different_details_is_an_error_on_both_rows(tree, xlsx):
    with pytest.raises(CommandError):
        run(xlsx([student_row(1), student_row(2), student_row(1, name="别人")]))
    job = ImportJob.objects.latest("id")
    assert problems(job) == [
        (2, "number", "duplicate_conflict"),
        (4, "number", "duplicate_conflict"),
    ]
    assert (job.bad, job.new) == (2, 1)


def test_row_errors_name_the_row_column_and_reason(tree, student, xlsx):
    bad_id = make_id_number(3)[:17] + ("0" if make_id_number(3)[17] != "0" else "1")
    rows = [
        student_row(1, id=bad_id),
        student_row(2, phone="12345"),
        student_row(3, kind="外星人"),
        student_row(4, name=" "),
        student_row(5, id=student.id_number),  # someone else's ID number
        student_row(6, email="not-an-email"),
        student_row(7, id=make_id_number(9)),
        student_row(8, id=make_id_number(9)),  # the same ID under another number
    ]
    with pytest.raises(CommandError):
        run(xlsx(rows))
    assert problems(ImportJob.objects.latest("id")) == [
        (2, "id_number", RowProblem.ID_CHECK_DIGIT),
        (3, "phone", RowProblem.BAD_PHONE),
        (4, "kind", RowProblem.UNKNOWN_KIND),
        (5, "name", RowProblem.MISSING),
        (6, "id_number", RowProblem.ID_TAKEN),
        (7, "email", RowProblem.BAD_EMAIL),
        (9, "id_number", RowProblem.ID_REPEATED),
    ]


def test_a_file_with_errors_commits_nothing(tree, xlsx, capsys):
    rows = [student_row(1, klass="新班2601"), student_row(2, phone="12345")]
    with pytest.raises(CommandError) as error:
        run(xlsx(rows))
    assert error.value.returncode == 1
    out = capsys.readouterr().out  # the row is listed (in the active language)
    assert " 3 " in out or "row 3" in out
    assert ImportJob.objects.latest("id").errors.filter(row=3, field="phone").exists()
    assert not imported().exists()
    assert not OrgUnit.objects.filter(name="新班2601").exists()
    job = ImportJob.objects.latest("id")
    assert job.state == "validated" and not AuditEntry.objects.filter(action__startswith="roster")


def test_only_good_rows_imports_the_rest(tree, xlsx):
    rows = [student_row(1), student_row(2, phone="12345"), student_row(3)]
    job = run(xlsx(rows), "--only-good-rows")
    assert job.state == "done" and job.written_new == 2
    assert list(imported().values_list("number", flat=True)) == ["20260001", "20260003"]


def test_missing_units_are_created_and_staff_belong_to_their_department(tree, xlsx):
    rows = [
        student_row(1, college="数学学院", klass="数学2601班"),
        student_row(2, college="数学学院", klass="数学2601班"),
        student_row(3, college="后勤处", klass=None, kind="临时工"),
    ]
    job = run(xlsx(rows))
    assert job.written_units == 3
    maths = OrgUnit.objects.get(name="数学学院")
    assert (maths.parent, maths.kind) == (tree.main_campus, "college")
    klass = OrgUnit.objects.get(name="数学2601班")
    assert klass.parent == maths and imported().filter(org_unit=klass).count() == 2
    worker = imported().get(number="20260003")
    assert (worker.kind, worker.org_unit.name, worker.org_unit.kind) == (
        "temporary",
        "后勤处",
        "department",
    )


def test_the_preview_counts_the_units_it_would_create(tree, xlsx, capsys):
    rows = [
        student_row(1, college="数学学院", klass="数学2601班"),
        student_row(2, klass="计科2509班"),
    ]
    call_command("import_roster", str(xlsx(rows)))  # no --yes, no terminal: preview only
    assert sorted(ImportJob.objects.latest("id").new_units) == [
        "主校区 / 数学学院",
        "数学学院 / 数学2601班",
        "计算机学院 / 计科2509班",
    ]
    assert not imported().exists() and not OrgUnit.objects.filter(name="数学学院").exists()


def test_a_campus_column_picks_the_campus(tree, xlsx):
    headers = ["学号", "姓名", "身份证号", "学院", "班级", "校区"]
    job = run(xlsx([[*student_row(1, college="新学院")[:5], "东校区"]], headers=headers))
    assert job.written_new == 1
    assert OrgUnit.objects.get(name="新学院").parent == tree.east_campus


def test_a_file_without_required_columns_fails_with_the_missing_names(tree, xlsx):
    with pytest.raises(CommandError, match="身份证号"):
        run(xlsx([["20260001", "张三"]], headers=["学号", "姓名"]))
    job = ImportJob.objects.latest("id")
    assert (job.state, job.problem) == ("failed", "missing_columns")


def test_an_old_xls_file_is_refused_with_a_reason(tree, tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(CommandError):
        run(path)
    assert ImportJob.objects.latest("id").problem == "old_excel"


def test_the_id_number_is_stored_nowhere(tree, xlsx):
    rows = [student_row(1), student_row(2, phone="1")]
    run(xlsx(rows), "--only-good-rows")
    job = ImportJob.objects.latest("id")
    stored = repr(list(ImportJob.objects.values())) + repr(list(ImportRowError.objects.values()))
    stored += repr(list(AuditEntry.objects.values())) + repr(list(Person.objects.values()))
    for row in rows:
        assert row[2] not in stored and row[2][:14] not in stored
    assert job.file_path == "" and not StagedRow.objects.exists()


def test_one_audit_entry_per_commit_with_counts_only(tree, xlsx):
    job = run(xlsx([student_row(1), student_row(2)]))
    entry = AuditEntry.objects.get(action="roster.import.committed")
    assert entry.data["new"] == 2 and entry.data["job"] == job.pk and entry.subject is None


def test_the_only_sheet_read_is_the_first(tree, tmp_path):
    workbook = Workbook()
    workbook.active.append(["学号", "姓名", "身份证号", "学院/部门", "班级"])
    workbook.active.append(student_row(1)[:5])
    workbook.create_sheet("说明").append(["学号", "not a row"])
    workbook.save(tmp_path / "two.xlsx")
    assert run(tmp_path / "two.xlsx").written_new == 1
