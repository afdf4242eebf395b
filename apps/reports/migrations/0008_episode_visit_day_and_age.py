"""Each episode keeps the clinic's day of its visit and the patient's whole years on that
day (Episode.visit_on, Episode.age_years). The outcomes export worked both out on each
of a million rows (a time-zone conversion and two to_char calls per row, about half of
its time beyond a bare COPY of the same rows).

- `reports_visitdayzone`: the zone the days are worked out in (settings.TIME_ZONE here
  and at every rebuild); the view reads it once per statement.
- `reports_age_years(born, on)`: whole years as age() counts them, from the two days as
  YYYYMMDD numbers. The view and the exports share it.
- The patients' update trigger now also refreshes a patient's episodes when their date
  of birth changes.
"""

from importlib import import_module

from django.conf import settings
from django.db import migrations, models

episodes = import_module("apps.reports.migrations.0003_episode_triggers")

NEW_COLUMNS = ", visit_on, age_years"

AGE_YEARS = """
CREATE FUNCTION reports_age_years(born date, on_day date) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    -- A birthday not yet reached in the year borrows the year (20250228 - 19800229 is
    -- 449999: 44 years), which is exactly what age() counts, at a fraction of its cost.
    -- As timestamps without a zone: to_char() of a bare date converts it to the
    -- session's zone first.
    SELECT (to_char(on_day::timestamp, 'YYYYMMDD')::int
            - to_char(born::timestamp, 'YYYYMMDD')::int) / 10000
$$;
"""


def _replaced(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old  # the SQL of migration 0003, unchanged since
    return text.replace(old, new)


_OLD_VIEW = episodes.SOURCE[: episodes.SOURCE.index("CREATE FUNCTION")]
VIEW = _replaced(
    _replaced(
        _replaced(_OLD_VIEW, "CREATE VIEW", "CREATE OR REPLACE VIEW"),
        "       events.types AS adverse_events\n",
        "       events.types AS adverse_events,\n"
        "       visit_day.visit_on, reports_age_years(p.date_of_birth, visit_day.visit_on)"
        "::smallint AS age_years\n",
    ),
    "WHERE v.voided_at IS NULL AND p.voided_at IS NULL;",
    """-- The zone is one row, read once per statement; without it (a test database emptied
-- by a flush) days are UTC, and the exports then work them out themselves.
CROSS JOIN LATERAL (
    SELECT (v.visited_at AT TIME ZONE
            coalesce((SELECT name FROM reports_visitdayzone WHERE id = 1), 'UTC'))::date
        AS visit_on
) visit_day
WHERE v.voided_at IS NULL AND p.voided_at IS NULL;""",
)

_OLD_REFRESH = episodes.SOURCE[
    episodes.SOURCE.index("CREATE FUNCTION reports_episode_refresh") : episodes.SOURCE.index(
        "CREATE FUNCTION reports_episodes_deferred"
    )
]
REFRESH = _replaced(
    _OLD_REFRESH, "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"
).replace(episodes.COLUMNS, episodes.COLUMNS + NEW_COLUMNS)
OLD_REFRESH = _OLD_REFRESH.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")


def _patients_trigger(condition: str) -> str:
    doses = _replaced(
        episodes._DOSE_IDS["patients_patient"]["UPDATE"],
        "WHERE (n.voided_at IS NULL) IS DISTINCT FROM (o.voided_at IS NULL)",
        condition,
    )
    function = episodes._trigger("patients_patient", "UPDATE", doses)
    return function[: function.index("CREATE TRIGGER")].replace(
        "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"
    )


PATIENTS_TRIGGER = _patients_trigger(
    "WHERE (n.voided_at IS NULL, n.date_of_birth) IS DISTINCT FROM "
    "(o.voided_at IS NULL, o.date_of_birth)"
)
OLD_PATIENTS_TRIGGER = _patients_trigger(
    "WHERE (n.voided_at IS NULL) IS DISTINCT FROM (o.voided_at IS NULL)"
)

# The episodes already kept get their day and age in place; the totals do not change,
# so their triggers stay off for it.
FILL = """
ALTER TABLE reports_episode ADD COLUMN visit_on date, ADD COLUMN age_years smallint;
SELECT set_config('exotrack.episodes_deferred', 'on', true);
UPDATE reports_episode e SET visit_on = s.visit_on, age_years = s.age_years
FROM (SELECT e.dose_id, d.visit_on, reports_age_years(p.date_of_birth, d.visit_on) AS age_years
      FROM reports_episode e
      JOIN patients_patient p ON p.id = e.patient_id
      CROSS JOIN LATERAL (
          SELECT (e.visited_at AT TIME ZONE
                  coalesce((SELECT name FROM reports_visitdayzone WHERE id = 1), 'UTC'))::date
              AS visit_on) d) s
WHERE s.dose_id = e.dose_id;
SELECT set_config('exotrack.episodes_deferred', '', true);
ALTER TABLE reports_episode ALTER COLUMN visit_on SET NOT NULL,
    ALTER COLUMN age_years SET NOT NULL;
"""

REVERSE = (
    OLD_PATIENTS_TRIGGER
    + OLD_REFRESH
    + "DROP VIEW reports_episode_source;"
    + _OLD_VIEW
    + "ALTER TABLE reports_episode DROP COLUMN visit_on, DROP COLUMN age_years;"
    + "DROP FUNCTION reports_age_years(date, date);"
)


def clinic_zone(apps, schema_editor) -> None:
    apps.get_model("reports", "VisitDayZone").objects.create(id=1, name=settings.TIME_ZONE)


class Migration(migrations.Migration):
    dependencies = [("reports", "0007_totals_read_the_responder_rule_by_key")]

    operations = [
        migrations.CreateModel(
            name="VisitDayZone",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=64)),
            ],
            options={"default_permissions": ()},
        ),
        migrations.RunPython(clinic_zone, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    AGE_YEARS + FILL + VIEW + REFRESH + PATIENTS_TRIGGER, REVERSE
                )
            ],
            state_operations=[
                migrations.AddField(
                    model_name="episode", name="visit_on", field=models.DateField()
                ),
                migrations.AddField(
                    model_name="episode", name="age_years", field=models.SmallIntegerField()
                ),
            ],
        ),
    ]
