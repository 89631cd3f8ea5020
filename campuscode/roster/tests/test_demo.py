import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from campuscode.people.models import Person
from campuscode.roster.demo import load_demo
from campuscode.roster.models import ImportJob

pytestmark = pytest.mark.django_db


def test_it_loads_a_finished_import_and_files_to_try(tree, sysadmin, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    tree.unit(tree.main_campus, "office", "保卫处")
    lines = load_demo(school=tree.school, now=timezone.now())
    assert "/roster/" in lines[0]
    assert ImportJob.objects.get().state == "done"
    assert Person.objects.filter(kind="temporary", org_unit__name="保卫处").count() == 12
    call_command("import_roster", str(tmp_path / "demo" / "roster-new-class.xlsx"), "--yes")
    assert Person.objects.filter(org_unit__name="计科2601班").count() == 40
    with pytest.raises(CommandError):
        call_command("import_roster", str(tmp_path / "demo" / "roster-with-errors.xlsx"))
    assert ImportJob.objects.latest("id").bad == 5
