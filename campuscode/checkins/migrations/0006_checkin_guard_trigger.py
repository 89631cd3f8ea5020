"""On PostgreSQL, refuse changes to a check-in in the database itself (issue 8, hole 6).

Allowed without the purge setting: what a correction does (set `superseded_at` /
`superseded_by` on the earlier row), giving a MAC to a row that had none
(`verify-records --sign-unsigned`) and Django clearing `recorded_by` when an account is
deleted. Any other UPDATE, and every DELETE, needs the transaction-local
`campuscode.purge = 'on'` of a retention purge (campuscode.audit.services.purge_allowed).
SQLite: no trigger; the per-row MAC finds an edit there.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION campuscode_checkin_guard() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('campuscode.purge', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'superseded_at' - 'superseded_by_id' - 'recorded_by_id' - 'mac')
           = (to_jsonb(OLD) - 'superseded_at' - 'superseded_by_id' - 'recorded_by_id' - 'mac')
       AND (NEW.mac = OLD.mac OR OLD.mac = '')
       AND (NEW.recorded_by_id IS NULL OR NEW.recorded_by_id IS NOT DISTINCT FROM OLD.recorded_by_id)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'campuscode: % of % is not allowed (append-only)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER checkins_checkin_guard
    BEFORE UPDATE OR DELETE ON checkins_checkin
    FOR EACH ROW EXECUTE FUNCTION campuscode_checkin_guard();
"""

REVERSE = "DROP TRIGGER IF EXISTS checkins_checkin_guard ON checkins_checkin;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FUNCTION)  # no parameters: the % in RAISE stays literal


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [
        ("checkins", "0005_checkin_mac"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
