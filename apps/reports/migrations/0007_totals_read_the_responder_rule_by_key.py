"""The totals triggers read the responder rule by its key (apps.reports.totals): the
planner then counts it as one row instead of guessing 2,040 for a table never analyzed,
which put the totals of a few thousand changed episodes past the JIT threshold."""

from importlib import import_module

from django.db import migrations

totals_triggers = import_module("apps.reports.migrations.0005_episode_total_triggers")

FUNCTIONS = "".join(
    totals_triggers.function(operation, replace=True) for operation in totals_triggers.CHANGES
)


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_episodes_read_by_period")]

    # Backwards the functions stay as they are: reading the rule by key gives the same rows.
    operations = [migrations.RunSQL(FUNCTIONS, migrations.RunSQL.noop)]
