"""The figures of the reports page, from the same episode SQL and filters as the outcomes
export: three queries whatever the number of episodes, statistics in Python.

- mean pain by timepoint per site category, with a 95 % t-interval;
- responder rate by site category and by product, with a 95 % Wilson interval;
- adverse-event rate by lot: doses with at least one linked event over doses given."""

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from psycopg import sql

from apps.outcomes.models import Timepoint
from apps.reports.filters import ReportFilters
from apps.reports.sql import EPISODE_JOINS, OUTCOME_JOINS, PIVOT_TIMEPOINTS, RESPONDER
from apps.reports.sql import outcome_params as _outcome_params
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


def _fetch(query: sql.Composable, params: dict[str, Any], *, using: str) -> list[tuple]:
    connection = connections[using]
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(connection.connection), params)
        return cursor.fetchall()


def t_interval(n: int, mean: float, sd: float | None) -> tuple[float | None, float | None]:
    # scipy is imported when figures are computed: about 60 MiB a web process need not
    # carry until someone opens the reports page.
    from scipy import stats

    if n < 2 or sd is None:
        return None, None
    half = stats.t.ppf((1 + CONFIDENCE) / 2, n - 1) * sd / math.sqrt(n)
    return mean - half, mean + half


def wilson(events: int, n: int) -> tuple[float, float]:
    from scipy import stats

    interval = stats.binomtest(events, n).proportion_ci(
        confidence_level=CONFIDENCE, method="wilson"
    )
    return interval.low, interval.high


def _rate(label: str, events: int, n: int, key: Any = None) -> Rate:
    low, high = wilson(events, n)
    return Rate(label=label, events=events, n=n, low=low, high=high, key=key)


def _episodes(columns: sql.Composable, filters: ReportFilters) -> sql.Composed:
    return sql.SQL(
        "WITH ep AS MATERIALIZED (SELECT {columns} FROM {joins} {outcomes} WHERE {where}) "
    ).format(
        columns=columns,
        joins=EPISODE_JOINS,
        outcomes=OUTCOME_JOINS,
        where=filters.episode_where(),
    )


def mean_pain(filters: ReportFilters, *, using: str) -> list[MeanPain]:
    pain_values = sql.SQL(", ").join(
        sql.SQL("({}, {}, {})").format(
            sql.Literal(order),
            sql.Literal(tp),
            sql.SQL("ep.baseline_pain") if tp == "baseline" else sql.Identifier("ep", f"pain_{tp}"),
        )
        for order, tp in enumerate(TIMEPOINTS)
    )
    pivot = ", ".join(f"o.pain_{tp}" for tp in PIVOT_TIMEPOINTS)
    columns = sql.SQL(f"s.category, baseline.pain AS baseline_pain, {pivot}")
    query = _episodes(columns, filters) + sql.SQL(
        """SELECT ep.category, tp.timepoint, count(*), avg(tp.pain)::float,
                  stddev_samp(tp.pain)::float
        FROM ep CROSS JOIN LATERAL (VALUES {values}) AS tp(position, timepoint, pain)
        WHERE tp.pain IS NOT NULL
        GROUP BY ep.category, tp.position, tp.timepoint
        ORDER BY ep.category, tp.position"""
    ).format(values=pain_values)
    rows = _fetch(query, filters.params(), using=using)
    return [
        MeanPain(category, timepoint, n, mean, *t_interval(n, mean, sd))
        for category, timepoint, n, mean, sd in rows
    ]


def _responders(filters: ReportFilters, *, using: str) -> tuple[int, list[Rate], list[Rate]]:
    columns = sql.SQL("s.category, pr.id AS product_id, pr.name AS product, ({}) AS responder")
    query = _episodes(columns.format(RESPONDER), filters) + sql.SQL(
        """SELECT GROUPING(ep.category), GROUPING(ep.product_id), ep.category, ep.product_id,
                  ep.product, count(*), count(ep.responder),
                  count(*) FILTER (WHERE ep.responder)
        FROM ep
        GROUP BY GROUPING SETS ((), (ep.category), (ep.product_id, ep.product))
        ORDER BY 1, 2, ep.category, ep.product"""
    )
    episodes, by_category, by_product = 0, [], []
    for no_category, no_product, category, product_id, product, total, assessed, k in _fetch(
        query, {**filters.params(), **_outcome_params()}, using=using
    ):
        if no_category and no_product:
            episodes = total
        elif not assessed:
            continue
        elif no_product:
            by_category.append(_rate(category, k, assessed, key=category))
        else:
            by_product.append(_rate(product, k, assessed, key=product_id))
    return episodes, by_category, by_product


def adverse_events_by_lot(filters: ReportFilters, *, using: str) -> list[Rate]:
    query = sql.SQL(
        """SELECT l.id, pr.name, l.lot_number, count(*),
                  count(*) FILTER (WHERE EXISTS (
                      SELECT 1 FROM safety_adverseeventdose aed
                      JOIN safety_adverseevent ae ON ae.id = aed.adverse_event_id
                      WHERE aed.dose_id = d.id AND ae.voided_at IS NULL))
        FROM {joins} WHERE {where}
        GROUP BY l.id, pr.name, l.lot_number
        ORDER BY pr.name, l.lot_number"""
    ).format(joins=EPISODE_JOINS, where=filters.episode_where())
    return [
        _rate(f"{product} {lot_number}", events, doses, key=lot_id)
        for lot_id, product, lot_number, doses, events in _fetch(
            query, filters.params(), using=using
        )
    ]


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


def _summary(filters: ReportFilters) -> Summary:
    # All three from one source: a replica a little behind, or the primary.
    using = database_for_reports()
    episodes, by_category, by_product = _responders(filters, using=using)
    return Summary(
        episodes=episodes,
        mean_pain=mean_pain(filters, using=using),
        responders_by_category=by_category,
        responders_by_product=by_product,
        adverse_events_by_lot=adverse_events_by_lot(filters, using=using),
    )
