"""Key the audit chain: rows written so far keep their plain SHA-256 (scheme 1, legacy);
every new row is an HMAC under the audit key kept outside the database (scheme 2).

The migration cannot read that key in every environment, so it does not rewrite old
rows: the first keyed row links to the last legacy hash and so seals the legacy part.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="audithead",
            name="keyed",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="scheme",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "sha256"), (2, "hmac-sha256")], default=1
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="scheme",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "sha256"), (2, "hmac-sha256")], default=2
            ),
        ),
    ]
