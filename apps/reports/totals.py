"""The SQL that adds episodes up into EpisodeTotal: the triggers of migration 0005 and
the rebuild (apps.reports.episodes) use the same, so they count alike.

A month is a calendar month in UTC, so its start and end are instants: a date filter
in any time zone takes the months lying wholly inside its bounds from the totals and
the few days either side from the episodes, and the sum is exact."""

KEY = "month_start, site_id, lot_id, clinician_id, location_id"
PAINS = {
    "baseline": "baseline_pain",
    "pain_2w": "pain_2w",
    "pain_6w": "pain_6w",
    "pain_3m": "pain_3m",
    "pain_6m": "pain_6m",
    "pain_12m": "pain_12m",
}
ASSESSED = "c.baseline_pain IS NOT NULL AND c.latest_pain IS NOT NULL"
RESPONDER = (
    f"{ASSESSED} AND (c.baseline_pain - c.latest_pain >= r.min_points "
    "OR (c.baseline_pain > 0 AND (c.baseline_pain - c.latest_pain) * 100 "
    ">= r.min_percent * c.baseline_pain))"
)
# (column, what one episode adds to it, times its sign)
SUMS = [
    ("doses", "1"),
    ("with_event", "(c.adverse_events IS NOT NULL)::int"),
    ("assessed", f"({ASSESSED})::int"),
    ("responders", f"coalesce(({RESPONDER})::int, 0)"),
]
for name, column in PAINS.items():
    SUMS += [
        (f"{name}_n", f"(c.{column} IS NOT NULL)::int"),
        (f"{name}_total", f"coalesce(c.{column}, 0)"),
        (f"{name}_squares", f"coalesce(c.{column} * c.{column}, 0)"),
    ]
COLUMNS = ", ".join(name for name, _ in SUMS)
GROUP_KEY = (
    "date_trunc('month', c.visited_at, 'UTC'), c.site_id, c.lot_id, c.clinician_id, c.location_id"
)


def totals_select(changes: str) -> str:
    """The totals of `changes` (rows of reports_episode with a column `sign`, 1 to add
    the row, -1 to take it away), by the responder rule of reports_responderrule.

    The rule is named by its key: the planner then knows it is one row. Read as the
    whole table it is never analyzed (one row, never changed), so PostgreSQL guessed
    2,040 rows, costed the totals of a few thousand episodes past its JIT threshold and
    spent half a second compiling each statement."""
    sums = ", ".join(f"sum(c.sign * {expression})" for _, expression in SUMS)
    return f"""SELECT {GROUP_KEY}, {sums}
FROM ({changes}) c
CROSS JOIN (SELECT min_points, min_percent FROM reports_responderrule WHERE id = 1) r
GROUP BY {GROUP_KEY} ORDER BY {GROUP_KEY}"""  # noqa: S608 - fixed SQL of this module


def totals_of(changes: str) -> str:
    """The INSERT adding the totals of `changes` to reports_episodetotal, in key order."""
    updates = ", ".join(f"{name} = t.{name} + excluded.{name}" for name, _ in SUMS)
    return f"""
INSERT INTO reports_episodetotal AS t ({KEY}, {COLUMNS})
{totals_select(changes)}
ON CONFLICT ({KEY}) DO UPDATE SET {updates}"""
