"""The episodes table (apps.reports.models.Episode) and its totals (EpisodeTotal):
rebuilt in full, compared with a full recomputation, and switched off for a bulk load
that rebuilds them itself.

Triggers keep both in step with every write (migrations 0003 and 0005); these are for
the rest: a repair after someone wrote with the triggers off, a change of the
responder rule or of the clinic's time zone in the settings, the bulk load of a
synthetic clinic, the tests."""

import sys
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, transaction

from apps.reports.models import Episode, ResponderRule, VisitDayZone
from apps.reports.totals import KEY, SUMS, totals_of, totals_select

COLUMNS = ", ".join(str(field.column) for field in Episode._meta.concrete_fields)
TOTALS = KEY + ", " + ", ".join(name for name, _ in SUMS)
ALL_EPISODES = "SELECT 1 AS sign, * FROM reports_episode"


def rebuild_episodes() -> int:
    """Every episode recomputed from the records and added up again, by the responder
    rule and in the time zone of the settings, in the caller's transaction (readers see
    the old rows until it commits). Returns how many episodes there are."""
    with connection.cursor() as cursor:
        # Writers of an episode's records wait for the rebuild instead of refreshing rows
        # it is about to replace.
        cursor.execute(
            "LOCK TABLE reports_episode, reports_episodetotal IN SHARE ROW EXCLUSIVE MODE"
        )
        cursor.execute("SELECT current_setting('exotrack.episodes_deferred', true)")
        (deferred,) = cursor.fetchone()
        cursor.execute("SELECT set_config('exotrack.episodes_deferred', 'on', true)")
        cursor.execute("DELETE FROM reports_episode")
        # The source view reads the zone of the visit days from this row.
        VisitDayZone.objects.update_or_create(id=1, defaults={"name": settings.TIME_ZONE})
        # In the order of the visits: a period's episodes lie together on disk, as new
        # visits' episodes do, so reading a few weeks reads a few hundred pages.
        cursor.execute(
            f"INSERT INTO reports_episode ({COLUMNS}) SELECT {COLUMNS} "  # noqa: S608 - the model's own column names
            "FROM reports_episode_source ORDER BY visited_at, dose_id"
        )
        count = cursor.rowcount
        ResponderRule.objects.update_or_create(
            id=1,
            defaults={
                "min_points": settings.OUTCOME_RESPONDER_MIN_POINTS,
                "min_percent": settings.OUTCOME_RESPONDER_MIN_PERCENT,
            },
        )
        cursor.execute("DELETE FROM reports_episodetotal")
        cursor.execute(totals_of(ALL_EPISODES))
        # Back as the caller had it: deferred only for a bulk load that asked for it.
        cursor.execute(
            "SELECT set_config('exotrack.episodes_deferred', %s, true)", [deferred or ""]
        )
        cursor.execute("ANALYZE reports_episode")
        cursor.execute("ANALYZE reports_episodetotal")
    return count


def visit_days_are_current(cursor) -> bool:
    """Whether the episodes' visit days (and the ages on them) are in the zone of the
    settings; when not, a reader works each day out from the visit's time."""
    cursor.execute("SELECT name FROM reports_visitdayzone WHERE id = 1")
    zone = cursor.fetchone()
    return zone == (settings.TIME_ZONE,)


def rebuild_in_a_new_zone(sender: Any, *, using: str, verbosity: int = 1, **kwargs: Any) -> None:
    """After every migrate (post_migrate): when the episodes' visit days are not in the
    zone of the settings (CLINIC_TIME_ZONE changed, or a test database's flush emptied
    the zone's row), rebuild them, so the exports read stored days again instead of
    working each one out. A deploy migrates before it serves: the new zone takes effect
    with it (46 s at a million episodes)."""
    if using != DEFAULT_DB_ALIAS:
        return
    if VisitDayZone._meta.db_table not in connection.introspection.table_names():
        return  # migrated back to before the table
    with transaction.atomic(), connection.cursor() as cursor:
        if visit_days_are_current(cursor):
            return
        count = rebuild_episodes()
    if verbosity:
        stdout = kwargs.get("stdout") or sys.stdout
        stdout.write(f"Rebuilt {count} episodes in the clinic's time zone {settings.TIME_ZONE}.\n")


def defer_episodes() -> None:
    """Switch the episode triggers off until the end of the caller's transaction, for a
    bulk load of millions of rows that calls rebuild_episodes() before it commits."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('exotrack.episodes_deferred', 'on', true)")


def _differences(cursor, kept: str, computed: str) -> tuple[int, int]:
    cursor.execute(
        f"""SELECT (SELECT count(*) FROM ({kept} EXCEPT ALL {computed}) k),
                   (SELECT count(*) FROM ({computed} EXCEPT ALL {kept}) c)"""  # noqa: S608 - fixed SQL
    )
    return cursor.fetchone()


def episodes_out_of_step() -> tuple[int, int]:
    """(rows kept that a full recomputation does not give, rows it gives that are not
    kept), over the episodes and their totals: (0, 0) when both are exact."""
    with connection.cursor() as cursor:
        episodes = _differences(
            cursor,
            f"SELECT {COLUMNS} FROM reports_episode",  # noqa: S608
            f"SELECT {COLUMNS} FROM reports_episode_source",  # noqa: S608
        )
        totals = _differences(
            cursor,
            f"SELECT {TOTALS} FROM reports_episodetotal",  # noqa: S608
            f"SELECT * FROM ({totals_select(ALL_EPISODES)}) t",  # noqa: S608
        )
    return episodes[0] + totals[0], episodes[1] + totals[1]
