"""Reads that may come from a PostgreSQL streaming replica (DATABASE_REPLICA_URL): the
reports page's figures, its CSV exports and FHIR Bulk Data exports. They scan every
episode of the clinic; on a replica they leave the primary to the people recording visits.
Nothing else is sent there: a page that shows what was just saved must read the primary.

A replica is used only while it answers and is at most DATABASE_REPLICA_MAX_LAG_SECONDS
behind, else the primary is: a report is never refused because the replica is down.
Every write goes to the primary whatever the read's source (`PrimaryWritesRouter`), and
migrations never run on the replica (a standby refuses them anyway).
"""

import logging
import math
import time
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections

PRIMARY = "default"
REPLICA = "replica"
# How long a process trusts its last look at the replica: two round trips saved on each
# report, at the price of noticing an outage or a growing lag this much later.
CHECK_SECONDS = 5.0
# How often a bulk export looks again while it waits for the replica to catch up.
CATCH_UP_POLL_SECONDS = 0.2

logger = logging.getLogger(__name__)

# (when measured, on time.monotonic(); the lag in seconds, None when unusable)
_last_check: tuple[float, float | None] | None = None


def _primary_wal_position() -> str:
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def _replica_state(primary_position: str) -> tuple[bool, float | None] | None:
    """Whether the replica has replayed up to the primary's position, and the age of the
    last transaction it replayed (None: none since it started); None when it does not
    answer or is no standby (a promoted replica no longer follows the primary)."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), "
                "coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false), "
                "extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float",
                [primary_position],
            )
            standby, caught_up, age = cursor.fetchone()
    except DatabaseError as error:
        logger.warning("The reporting replica does not answer, reading the primary: %s", error)
        connections[REPLICA].close()
        return None
    if not standby:
        logger.warning("DATABASE_REPLICA_URL names a server that is not a standby; ignored.")
        return None
    return caught_up, age


def replica_lag_seconds() -> float | None:
    """How far the replica is behind the primary; None when it is not configured, does
    not answer or is no standby.

    A replica that has replayed the primary's current WAL position is 0 behind, however
    long ago the last write was: an idle primary does not make it look late. Otherwise the
    lag is the age of the last transaction it replayed (one more reason for NTP on both
    hosts), which is never less than the real lag."""
    if REPLICA not in settings.DATABASES:
        return None
    state = _replica_state(_primary_wal_position())
    if state is None:
        return None
    caught_up, age = state
    if caught_up:
        return 0.0
    return math.inf if age is None else max(age, 0.0)


def _checked_lag() -> float | None:
    global _last_check
    now = time.monotonic()
    if _last_check is None or now - _last_check[0] >= CHECK_SECONDS:
        _last_check = (now, replica_lag_seconds())
    return _last_check[1]


def database_for_reports() -> str:
    """The alias that report figures and exports read from: the replica while it answers
    and lags no more than DATABASE_REPLICA_MAX_LAG_SECONDS, else the primary."""
    lag = _checked_lag()
    if lag is None:
        return PRIMARY
    if lag > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
        logger.info("The reporting replica is %.1f s behind, reading the primary.", lag)
        return PRIMARY
    return REPLICA


def database_with_every_commit() -> str:
    """The replica once it has replayed everything the primary had committed when this
    was called, waiting at most DATABASE_REPLICA_MAX_LAG_SECONDS; else the primary.

    For an incremental export: rows changed before its start must all be in it, since
    the next export asks only for changes after that start."""
    if REPLICA not in settings.DATABASES:
        return PRIMARY
    position = _primary_wal_position()
    deadline = time.monotonic() + settings.DATABASE_REPLICA_MAX_LAG_SECONDS
    while (state := _replica_state(position)) is not None:
        caught_up, _ = state
        if caught_up:
            return REPLICA
        if time.monotonic() >= deadline:
            break
        time.sleep(CATCH_UP_POLL_SECONDS)
    return PRIMARY


class PrimaryWritesRouter:
    """Reads go where the code says (`.using(...)`, default the primary); writes always
    go to the primary, even of a row loaded from the replica; no migration on the replica."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return None

    def db_for_write(self, model: type, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # The replica is a copy of the primary: a row from one may point to one of the other.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA
