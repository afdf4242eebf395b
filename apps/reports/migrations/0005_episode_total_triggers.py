"""EpisodeTotal kept by PostgreSQL: statement-level triggers on reports_episode add what
a statement inserted and take away what it deleted (both, for an update), per month,
site, lot, clinician and location, in one INSERT ... ON CONFLICT in key order (so two
writers meet the same rows in the same order), then drop groups left with no episode.
They follow `exotrack.episodes_deferred` like the episode triggers: a rebuild adds up
the totals once, from the rebuilt episodes.

The responder rule is the one row of reports_responderrule, written from the settings
here and at every rebuild."""

from django.conf import settings
from django.db import migrations

from apps.reports.totals import GROUP_KEY, KEY, totals_of

CHANGES = {
    "INSERT": "SELECT 1 AS sign, * FROM new_rows",
    "UPDATE": "SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1, * FROM old_rows",
    "DELETE": "SELECT -1 AS sign, * FROM old_rows",
}
TRANSITION = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}


def function(operation: str, *, replace: bool = False) -> str:
    """The trigger function for `operation` (a later migration replaces its body)."""
    name = f"reports_episodetotal_after_episode_{operation.lower()}"
    emptied = ""
    if operation != "INSERT":
        emptied = f"""
        DELETE FROM reports_episodetotal t USING (
            SELECT DISTINCT date_trunc('month', c.visited_at, 'UTC') AS month_start,
                c.site_id, c.lot_id, c.clinician_id, c.location_id
            FROM old_rows c) gone
        WHERE t.doses = 0 AND t.month_start = gone.month_start AND t.site_id = gone.site_id
          AND t.lot_id = gone.lot_id AND t.clinician_id = gone.clinician_id
          AND t.location_id = gone.location_id;"""
    return f"""
CREATE {"OR REPLACE " if replace else ""}FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT reports_episodes_deferred() THEN
        {totals_of(CHANGES[operation])};{emptied}
    END IF;
    RETURN NULL;
END $$;
"""


def _trigger(operation: str) -> str:
    name = f"reports_episodetotal_after_episode_{operation.lower()}"
    return f"""{function(operation)}
CREATE TRIGGER {name} AFTER {operation} ON reports_episode
    REFERENCING {TRANSITION[operation]}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""


TRIGGERS = "".join(_trigger(operation) for operation in CHANGES)
DROP = "".join(
    f"DROP TRIGGER reports_episodetotal_after_episode_{op.lower()} ON reports_episode; "
    f"DROP FUNCTION reports_episodetotal_after_episode_{op.lower()}();"
    for op in CHANGES
)
FILL = (
    "TRUNCATE reports_episodetotal;"
    + totals_of("SELECT 1 AS sign, * FROM reports_episode")
    + "; ANALYZE reports_episodetotal;"
)


def responder_rule(apps, schema_editor) -> None:
    apps.get_model("reports", "ResponderRule").objects.create(
        id=1,
        min_points=settings.OUTCOME_RESPONDER_MIN_POINTS,
        min_percent=settings.OUTCOME_RESPONDER_MIN_PERCENT,
    )


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_episode_totals")]

    operations = [
        migrations.RunPython(responder_rule, migrations.RunPython.noop),
        migrations.RunSQL(TRIGGERS + FILL, DROP + "TRUNCATE reports_episodetotal;"),
    ]
