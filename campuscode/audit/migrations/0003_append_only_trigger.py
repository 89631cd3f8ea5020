"""On PostgreSQL, refuse UPDATE and DELETE of audit entries in the database itself,
except in a retention purge, which sets the transaction-local `campuscode.purge` to
'on' (campuscode.audit.services.purge_allowed). The production README also revokes
UPDATE and DELETE from the application's role; this trigger holds even where that was
not done. SQLite: no trigger (whoever can write the file can drop it; the keyed chain
and the anchors find the change)."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION campuscode_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('campuscode.purge', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'campuscode: % of % is not allowed (append-only)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditentry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION campuscode_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FUNCTION)  # no parameters: the % in RAISE stays literal


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_keyed_chain"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
