"""The figures of the reports page, from the episodes table (apps.reports.models.Episode,
kept exact by triggers) and the same filters as the exports: one query whatever the
number of episodes, statistics in Python.

The query adds up, per treated site and lot, exact integers only: episodes, episodes
with an adverse event, per timepoint the count, sum and sum of squares of the pain
scores, and responders. Every figure below is a sum of those groups, so a site
category, a product or the whole clinic is added up in Python without reading an
episode twice, and means and standard deviations come out as PostgreSQL's avg() and
stddev_samp() would give them.

- mean pain by timepoint per site category, with a 95 % t-interval;
- responder rate by site category and by product, with a 95 % Wilson interval;
- adverse-event rate by lot: doses with at least one linked event over doses given."""

import datetime
import functools
import hashlib
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from psycopg import sql

from apps.outcomes.models import Timepoint
from apps.outcomes.rules import responder_params, responder_sql
from apps.reports.filters import ReportFilters
from apps.reports.sql import PIVOT_TIMEPOINTS
from apps.reports.totals import PAINS
from exotrack.replica import database_for_reports

CONFIDENCE = 0.95
# Figures that took longer than this to compute (a large clinic, few filters) are kept
# for a while, so paging back and forth or printing does not scan every episode again.
SLOW_SECONDS = 2.0
KEEP_SLOW_FIGURES_SECONDS = 600
TIMEPOINTS = ("baseline", *PIVOT_TIMEPOINTS)
TIMEPOINT_LABELS = dict(Timepoint.choices)


@dataclass(frozen=True)
class MeanPain:
    category: str
    timepoint: str
    n: int
    mean: float
    low: float | None  # None: one score alone has no interval
    high: float | None

    @property
    def timepoint_label(self) -> str:
        return TIMEPOINT_LABELS.get(self.timepoint, self.timepoint)


@dataclass(frozen=True)
class Rate:
    label: str
    events: int
    n: int
    low: float
    high: float
    key: Any = None

    @property
    def rate(self) -> float:
        return self.events / self.n

    @property
    def percent(self) -> float:
        return 100 * self.rate

    @property
    def low_percent(self) -> float:
        return 100 * self.low

    @property
    def high_percent(self) -> float:
        return 100 * self.high


@dataclass(frozen=True)
class Summary:
    episodes: int
    mean_pain: list[MeanPain]
    responders_by_category: list[Rate]
    responders_by_product: list[Rate]
    adverse_events_by_lot: list[Rate]


def t_interval(n: int, mean: float, sd: float | None) -> tuple[float | None, float | None]:
    # scipy is imported when figures are computed: about 60 MiB a web process need not
    # carry until someone opens the reports page.
    from scipy import stats

    if n < 2 or sd is None:
        return None, None
    half = stats.t.ppf((1 + CONFIDENCE) / 2, n - 1) * sd / math.sqrt(n)
    return mean - half, mean + half


@functools.cache
def _z() -> float:
    from scipy.special import ndtri

    return float(ndtri(0.5 + 0.5 * CONFIDENCE))


def wilson(events: int, n: int) -> tuple[float, float]:
    """The Wilson score interval, as scipy's binomtest(...).proportion_ci(method="wilson")
    computes it (Newcombe 1998), without its test: a few hundred lots in microseconds
    instead of milliseconds each."""
    z = _z()
    p = events / n
    denom = 2 * (n + z**2)
    center = (2 * n * p + z**2) / denom
    delta = z / denom * math.sqrt(4 * n * p * (1 - p) + z**2)
    low = 0.0 if events == 0 else center - delta
    high = 1.0 if events == n else center + delta
    return low, high


def _rate(label: str, events: int, n: int, key: Any = None) -> Rate:
    low, high = wilson(events, n)
    return Rate(label=label, events=events, n=n, low=low, high=high, key=key)


@dataclass
class _Scores:
    """Pain scores of one timepoint, as exact sums."""

    n: int = 0
    total: int = 0
    squares: int = 0

    def add(self, n: int, total: int | None, squares: int | None) -> None:
        self.n += n
        self.total += total or 0
        self.squares += squares or 0

    def mean_pain(self, category: str, timepoint: str) -> MeanPain:
        mean = self.total / self.n
        sd = None
        if self.n > 1:
            variance = Fraction(self.n * self.squares - self.total**2, self.n * (self.n - 1))
            sd = math.sqrt(variance)
        return MeanPain(category, timepoint, self.n, mean, *t_interval(self.n, mean, sd))


@dataclass
class _Counts:
    """Episodes of one group: assessed for response, responders, doses, doses with an
    adverse event."""

    assessed: int = 0
    responders: int = 0
    doses: int = 0
    with_event: int = 0


@dataclass(frozen=True)
class _Group:
    """One row of the query: the episodes of one site and one lot."""

    category: str
    product_id: int
    product: str
    lot_id: int
    lot_number: str
    doses: int
    with_event: int
    assessed: int
    responders: int
    scores: tuple[tuple[int, int | None, int | None], ...]  # per TIMEPOINTS: n, sum, squares


def _month_after(moment: datetime.datetime) -> datetime.datetime:
    """The start of the first UTC month beginning at `moment` or later."""
    utc = moment.astimezone(datetime.UTC)
    start = utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start == utc:
        return start
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def _month_before(moment: datetime.datetime) -> datetime.datetime:
    """The start of the UTC month `moment` is in."""
    utc = moment.astimezone(datetime.UTC)
    return utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class _Split:
    """Where a filter's figures are read: whole UTC months from the totals (when the
    rule they counted by is the settings'), the rest of the period from the episodes."""

    totals: sql.Composable | None  # condition on EpisodeTotal e, None: not read
    episodes: sql.Composable | None  # condition on Episode e, None: not read
    params: dict[str, Any]


def _split(filters: ReportFilters, params: dict[str, Any], *, rule_is_current: bool) -> _Split:
    start, end = params["visited_from"], params["visited_before"]
    within = filters.summary_conditions()
    if not rule_is_current:
        everything = [sql.SQL("true"), *filters.summary_period(), *within]
        return _Split(None, sql.SQL(" AND ").join(everything), {})
    months_from = _month_after(start) if start else None
    months_to = _month_before(end) if end else None
    if months_from and months_to and months_from >= months_to:
        # No whole month inside: the period's few weeks from the episodes alone.
        period = sql.SQL("e.visited_at >= %(visited_from)s AND e.visited_at < %(visited_before)s")
        return _Split(None, sql.SQL(" AND ").join([period, *within]), {})
    months: list[sql.Composable] = [sql.SQL("true")]
    edges: list[sql.Composable] = []
    if months_from:
        months.append(sql.SQL("e.month_start >= %(months_from)s"))
        edges.append(
            sql.SQL("(e.visited_at >= %(visited_from)s AND e.visited_at < %(months_from)s)")
        )
    if months_to:
        months.append(sql.SQL("e.month_start < %(months_to)s"))
        edges.append(
            sql.SQL("(e.visited_at >= %(months_to)s AND e.visited_at < %(visited_before)s)")
        )
    episodes = None
    if edges:
        episodes = sql.SQL(" AND ").join(
            [sql.SQL("({})").format(sql.SQL(" OR ").join(edges)), *within]
        )
    return _Split(
        sql.SQL(" AND ").join([*months, *within]),
        episodes,
        {"months_from": months_from, "months_to": months_to},
    )


def _from_totals(where: sql.Composable) -> sql.Composed:
    pains = sql.SQL(", ").join(
        sql.SQL("sum({n})::bigint, sum({total})::bigint, sum({squares})::bigint").format(
            n=sql.Identifier(f"{name}_n"),
            total=sql.Identifier(f"{name}_total"),
            squares=sql.Identifier(f"{name}_squares"),
        )
        for name in PAINS
    )
    return sql.SQL(
        """SELECT e.site_id, e.lot_id, sum(e.doses)::bigint, sum(e.with_event)::bigint,
                  sum(e.assessed)::bigint, sum(e.responders)::bigint, {pains}
        FROM reports_episodetotal e WHERE {where}
        GROUP BY e.site_id, e.lot_id"""
    ).format(pains=pains, where=where)


def _from_episodes(where: sql.Composable) -> sql.Composed:
    responder = responder_sql(baseline="e.baseline_pain", pain="e.latest_pain")
    pains = sql.SQL(", ").join(
        sql.SQL("count({p}), sum({p})::bigint, sum({p} * {p})::bigint").format(
            p=sql.Identifier("e", column)
        )
        for column in PAINS.values()
    )
    return sql.SQL(
        """SELECT e.site_id, e.lot_id, count(*), count(e.adverse_events),
                  count({responder}), count(*) FILTER (WHERE {responder}), {pains}
        FROM reports_episode e WHERE {where}
        GROUP BY e.site_id, e.lot_id"""
    ).format(responder=responder, pains=pains, where=where)


def _rule_is_current(cursor: Any) -> bool:
    cursor.execute("SELECT min_points, min_percent FROM reports_responderrule")
    rule = cursor.fetchone()
    return rule == (settings.OUTCOME_RESPONDER_MIN_POINTS, settings.OUTCOME_RESPONDER_MIN_PERCENT)


def _groups(filters: ReportFilters, *, using: str) -> list[_Group]:
    connection = connections[using]
    connection.ensure_connection()
    with connection.cursor() as cursor:
        params = {**filters.params(), **responder_params()}
        split = _split(filters, params, rule_is_current=_rule_is_current(cursor))
        parts = []
        if split.totals is not None:
            parts.append(_from_totals(split.totals))
        if split.episodes is not None:
            parts.append(_from_episodes(split.episodes))
        query = sql.SQL(
            """WITH g AS ({parts})
            SELECT s.category, pr.id, pr.name, l.id, l.lot_number, g.*
            FROM g
            JOIN treatments_treatmentsite s ON s.id = g.site_id
            JOIN inventory_lot l ON l.id = g.lot_id
            JOIN inventory_product pr ON pr.id = l.product_id"""
        ).format(parts=sql.SQL(" UNION ALL ").join(parts))
        cursor.execute(query.as_string(connection.connection), params | split.params)
        rows = cursor.fetchall()
    groups = []
    for category, product_id, product, lot_id, lot_number, _site, _lot, *counts in rows:
        doses, with_event, assessed, responders, *sums = counts
        scores = tuple(tuple(sums[i : i + 3]) for i in range(0, len(sums), 3))
        groups.append(
            _Group(
                category, product_id, product, lot_id, lot_number,
                doses, with_event, assessed, responders, scores,
            )
        )  # fmt: skip
    return groups


def mean_pain(groups: Iterable[_Group]) -> list[MeanPain]:
    """Per site category and timepoint (in the schedule's order), the timepoints with a
    score only."""
    scores: dict[tuple[str, int], _Scores] = defaultdict(_Scores)
    for group in groups:
        for position, (n, total, squares) in enumerate(group.scores):
            if n:
                scores[group.category, position].add(n, total, squares)
    return [scores[key].mean_pain(key[0], TIMEPOINTS[key[1]]) for key in sorted(scores)]


def _summed(groups: Iterable[_Group], key: Callable[[_Group], Any]) -> dict[Any, _Counts]:
    counts: dict[Any, _Counts] = defaultdict(_Counts)
    for group in groups:
        total = counts[key(group)]
        total.assessed += group.assessed
        total.responders += group.responders
        total.doses += group.doses
        total.with_event += group.with_event
    return counts


def _summary(filters: ReportFilters) -> Summary:
    # A replica a little behind, or the primary.
    groups = _groups(filters, using=database_for_reports())
    by_category = _summed(groups, lambda g: g.category)
    by_product = _summed(groups, lambda g: (g.product, g.product_id))
    by_lot = _summed(groups, lambda g: (g.product, g.lot_number, g.lot_id))
    return Summary(
        episodes=sum(group.doses for group in groups),
        mean_pain=mean_pain(groups),
        responders_by_category=[
            _rate(category, c.responders, c.assessed, key=category)
            for category, c in sorted(by_category.items())
            if c.assessed
        ],
        responders_by_product=[
            _rate(product, c.responders, c.assessed, key=product_id)
            for (product, product_id), c in sorted(by_product.items())
            if c.assessed
        ],
        adverse_events_by_lot=[
            _rate(f"{product} {lot_number}", c.with_event, c.doses, key=lot_id)
            for (product, lot_number, lot_id), c in sorted(by_lot.items())
        ],
    )


def report_summary(*, filters: ReportFilters) -> Summary:
    """The page's figures. Slow ones are kept KEEP_SLOW_FIGURES_SECONDS per filter (and
    responder rule); quick ones are always computed afresh."""
    rule = (settings.OUTCOME_RESPONDER_MIN_POINTS, settings.OUTCOME_RESPONDER_MIN_PERCENT)
    key = "reports:summary:" + hashlib.sha256(repr((filters, rule)).encode()).hexdigest()
    kept = cache.get(key)
    if kept is not None:
        return kept
    started = time.monotonic()
    summary = _summary(filters)
    if time.monotonic() - started > SLOW_SECONDS:
        cache.set(key, summary, KEEP_SLOW_FIGURES_SECONDS)
    return summary
