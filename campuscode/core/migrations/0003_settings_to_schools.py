from django.db import migrations


def rules_to_schools(apps, schema_editor):
    """The rules changed so far were the whole installation's: each school keeps them.

    The first school takes over the rows; every other school gets a copy, so no school's
    rules change. Without any school the rows stay as the installation's defaults.
    """
    Setting = apps.get_model("core", "Setting")
    OrgUnit = apps.get_model("people", "OrgUnit")
    schools = list(
        OrgUnit.objects.filter(kind="school").order_by("pk").values_list("pk", flat=True)
    )
    if not schools:
        return
    first, others = schools[0], schools[1:]
    for row in Setting.objects.filter(school__isnull=True):
        Setting.objects.bulk_create(
            Setting(school_id=pk, key=row.key, value=row.value, updated_by_id=row.updated_by_id)
            for pk in others
        )
        row.school_id = first
        row.save(update_fields=["school"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_setting_per_school"),
        ("people", "0004_security_admin_and_auditor_roles"),
    ]

    operations = [migrations.RunPython(rules_to_schools, migrations.RunPython.noop)]
