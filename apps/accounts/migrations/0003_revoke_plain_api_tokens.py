"""DRF's plain tokens were stored in clear and never expired: every one is revoked by
dropping its table (members create hashed, expiring tokens under "Your account")."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_staff_security")]

    operations = [
        migrations.RunSQL(
            "DROP TABLE IF EXISTS authtoken_token; "
            "DELETE FROM django_migrations WHERE app = 'authtoken';",
            reverse_sql=migrations.RunSQL.noop,
        )
    ]
