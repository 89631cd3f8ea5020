"""One history row per existing person, so that the counts of past windows keep what they
were before the history began. What was known then: a person active now was active since
their record was created; one no longer active was active until their record last changed
(the old guess of checkins.tally), and inactive from then on."""

from django.db import migrations


def seed(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    Change = apps.get_model("people", "PersonStateChange")
    rows = []
    people = Person.objects.order_by("pk").values_list(
        "pk", "state", "valid_from", "valid_until", "created_at", "updated_at"
    )
    for pk, state, valid_from, valid_until, created_at, updated_at in people.iterator(2000):
        dates = {"person_id": pk, "valid_from": valid_from, "valid_until": valid_until}
        if state != "active" and updated_at > created_at:
            rows.append(Change(state="active", at=created_at, reason="seeded", **dates))
            rows.append(Change(state=state, at=updated_at, reason="seeded", **dates))
        else:
            rows.append(Change(state=state, at=created_at, reason="seeded", **dates))
        if len(rows) >= 2000:
            Change.objects.bulk_create(rows)
            rows = []
    Change.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("people", "0005_person_state_history")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
