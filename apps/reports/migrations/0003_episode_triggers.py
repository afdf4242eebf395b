"""The episodes table kept by PostgreSQL (see apps.reports.models.Episode).

- `reports_episode_source`: the episodes as a view, worked out from the records. A full
  rebuild is one INSERT ... SELECT from it; a refresh, the same for a few doses.
- `reports_episode_refresh(doses)`: recomputes the episodes of those doses. It first
  locks the doses (FOR NO KEY UPDATE, which foreign-key checks do not wait for), so two
  transactions changing the same episode refresh it one after the other, the second
  seeing what the first committed (each statement of a PL/pgSQL function reads afresh
  under READ COMMITTED). Deleted doses simply lose their episode.
- One statement-level trigger per table and operation, with transition tables: each
  gathers the doses its statement touched and refreshes them once, however many rows
  the statement wrote (an import, a patient voided with all their visits). Updates that
  change nothing an episode shows (a visit signed off, a note edited) refresh nothing.
- `exotrack.episodes_deferred = on` (transaction-local) switches the triggers off for a
  bulk load that rebuilds every episode before it commits (seed_synthetic).
"""

from django.db import migrations

COLUMNS = (
    "dose_id, visit_id, patient_id, visited_at, clinician_id, location_id, site_id, lot_id, "
    "laterality, billions, baseline_pain, pain_2w, pain_6w, pain_3m, pain_6m, pain_12m, "
    "latest_timepoint, latest_pain, pgic, percent_better, last_assessed_on, adverse_events"
)
COPY_ALL = f"INSERT INTO reports_episode ({COLUMNS}) SELECT {COLUMNS} FROM reports_episode_source"

SOURCE = f"""
CREATE VIEW reports_episode_source AS
SELECT d.id AS dose_id, d.visit_id, v.patient_id, v.visited_at, v.clinician_id,
       v.location_id, d.site_id, d.lot_id, d.laterality, d.billions,
       coalesce(d.baseline_pain, o.baseline_pain) AS baseline_pain,
       o.pain_2w, o.pain_6w, o.pain_3m, o.pain_6m, o.pain_12m,
       o.latest_timepoint, o.latest_pain, o.pgic, o.percent_better, o.last_assessed_on,
       events.types AS adverse_events
FROM treatments_dose d
JOIN treatments_visit v ON v.id = d.visit_id
JOIN patients_patient p ON p.id = v.patient_id
-- Per timepoint, the latest assessment (by day, then id): max() over [day, id, value]
-- picks it in one pass over the dose's assessments.
CROSS JOIN LATERAL (
    SELECT
        (max(ARRAY[a.assessed_on - DATE '2000-01-01', a.id, a.pain])
            FILTER (WHERE a.timepoint = 'baseline'))[3] AS baseline_pain,
        (max(ARRAY[a.assessed_on - DATE '2000-01-01', a.id, a.pain])
            FILTER (WHERE a.timepoint = '2w'))[3] AS pain_2w,
        (max(ARRAY[a.assessed_on - DATE '2000-01-01', a.id, a.pain])
            FILTER (WHERE a.timepoint = '6w'))[3] AS pain_6w,
        (max(ARRAY[a.assessed_on - DATE '2000-01-01', a.id, a.pain])
            FILTER (WHERE a.timepoint = '3m'))[3] AS pain_3m,
        (max(ARRAY[a.assessed_on - DATE '2000-01-01', a.id, a.pain])
            FILTER (WHERE a.timepoint = '6m'))[3] AS pain_6m,
        (max(ARRAY[a.assessed_on - DATE '2000-01-01', a.id, a.pain])
            FILTER (WHERE a.timepoint = '12m'))[3] AS pain_12m,
        ('{{baseline,2w,6w,3m,6m,12m,other}}'::text[])[
            (max(ARRAY[a.assessed_on - DATE '2000-01-01', a.id,
                       array_position('{{baseline,2w,6w,3m,6m,12m,other}}'::text[],
                                      a.timepoint::text)])
                FILTER (WHERE a.timepoint <> 'baseline'))[3]] AS latest_timepoint,
        (max(ARRAY[a.assessed_on - DATE '2000-01-01', a.id, a.pain])
            FILTER (WHERE a.timepoint <> 'baseline'))[3] AS latest_pain,
        (max(ARRAY[a.assessed_on - DATE '2000-01-01', a.id, a.pgic])
            FILTER (WHERE a.timepoint <> 'baseline'))[3] AS pgic,
        (max(ARRAY[a.assessed_on - DATE '2000-01-01', a.id, a.percent_better])
            FILTER (WHERE a.timepoint <> 'baseline'))[3] AS percent_better,
        max(a.assessed_on) FILTER (WHERE a.timepoint <> 'baseline') AS last_assessed_on
    FROM outcomes_outcomeassessment a
    WHERE a.dose_id = d.id AND a.voided_at IS NULL
) o
CROSS JOIN LATERAL (
    SELECT string_agg(DISTINCT t.name, ';' ORDER BY t.name) AS types
    FROM safety_adverseeventdose aed
    JOIN safety_adverseevent ae ON ae.id = aed.adverse_event_id AND ae.voided_at IS NULL
    JOIN safety_adverseeventtype t ON t.id = ae.event_type_id
    WHERE aed.dose_id = d.id
) events
WHERE v.voided_at IS NULL AND p.voided_at IS NULL;

CREATE FUNCTION reports_episode_refresh(doses bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(doses) = 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM treatments_dose WHERE id = ANY(doses) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM reports_episode WHERE dose_id = ANY(doses);
    {COPY_ALL} WHERE dose_id = ANY(doses);
END $$;

CREATE FUNCTION reports_episodes_deferred() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('exotrack.episodes_deferred', true), '') = 'on'
$$;
"""

# (table, operation, doses the statement touched: SQL over old_rows / new_rows)
_DOSE_IDS = {
    "treatments_dose": {
        "INSERT": "SELECT id FROM new_rows",
        "UPDATE": "SELECT id FROM new_rows UNION SELECT id FROM old_rows",
        "DELETE": "SELECT id FROM old_rows",
    },
    "outcomes_outcomeassessment": {
        "INSERT": "SELECT dose_id FROM new_rows",
        "UPDATE": "SELECT dose_id FROM new_rows UNION SELECT dose_id FROM old_rows",
        "DELETE": "SELECT dose_id FROM old_rows",
    },
    "safety_adverseeventdose": {
        "INSERT": "SELECT dose_id FROM new_rows",
        "UPDATE": "SELECT dose_id FROM new_rows UNION SELECT dose_id FROM old_rows",
        "DELETE": "SELECT dose_id FROM old_rows",
    },
    # Visits are inserted before their doses and deleted after them: only an update
    # can change an existing episode.
    "treatments_visit": {
        "UPDATE": """SELECT d.id FROM new_rows n JOIN old_rows o ON o.id = n.id
            JOIN treatments_dose d ON d.visit_id = n.id
            WHERE (n.voided_at IS NULL, n.visited_at, n.clinician_id, n.location_id,
                   n.patient_id)
              IS DISTINCT FROM (o.voided_at IS NULL, o.visited_at, o.clinician_id,
                                o.location_id, o.patient_id)""",
    },
    "patients_patient": {
        "UPDATE": """SELECT d.id FROM new_rows n JOIN old_rows o ON o.id = n.id
            JOIN treatments_visit v ON v.patient_id = n.id
            JOIN treatments_dose d ON d.visit_id = v.id
            WHERE (n.voided_at IS NULL) IS DISTINCT FROM (o.voided_at IS NULL)""",
    },
    "safety_adverseevent": {
        "UPDATE": """SELECT aed.dose_id FROM new_rows n JOIN old_rows o ON o.id = n.id
            JOIN safety_adverseeventdose aed ON aed.adverse_event_id = n.id
            WHERE (n.voided_at IS NULL, n.event_type_id)
              IS DISTINCT FROM (o.voided_at IS NULL, o.event_type_id)""",
    },
    "safety_adverseeventtype": {
        "UPDATE": """SELECT aed.dose_id FROM new_rows n JOIN old_rows o ON o.id = n.id
            JOIN safety_adverseevent ae ON ae.event_type_id = n.id
            JOIN safety_adverseeventdose aed ON aed.adverse_event_id = ae.id
            WHERE n.name IS DISTINCT FROM o.name""",
    },
}

_TRANSITION = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}


def _name(table: str, operation: str) -> str:
    return f"reports_episode_after_{table}_{operation.lower()}"


def _trigger(table: str, operation: str, doses: str) -> str:
    name = _name(table, operation)
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT reports_episodes_deferred() THEN
        PERFORM reports_episode_refresh(ARRAY({doses}));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER {name} AFTER {operation} ON {table}
    REFERENCING {_TRANSITION[operation]}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""


def _drop(table: str, operation: str) -> str:
    name = _name(table, operation)
    return f"DROP TRIGGER {name} ON {table}; DROP FUNCTION {name}();"


TRIGGERS = "".join(
    _trigger(table, operation, doses)
    for table, operations in _DOSE_IDS.items()
    for operation, doses in operations.items()
)
DROP_TRIGGERS = "".join(
    _drop(table, operation) for table, operations in _DOSE_IDS.items() for operation in operations
)

FILL = f"{COPY_ALL}; ANALYZE reports_episode;"

REVERSE = (
    DROP_TRIGGERS
    + """
DROP FUNCTION reports_episodes_deferred();
DROP FUNCTION reports_episode_refresh(bigint[]);
DROP VIEW reports_episode_source;
TRUNCATE reports_episode;
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_episodes"),
        ("treatments", "0009_database_defaults_for_bulk_loads"),
        ("outcomes", "0001_initial"),
        ("safety", "0002_newest_first_index"),
        ("patients", "0008_phone_search_index"),
    ]

    operations = [migrations.RunSQL(SOURCE + TRIGGERS + FILL, REVERSE)]
