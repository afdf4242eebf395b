"""Safety signals: is an adverse event more frequent with one lot (or product, or kind
of treated site) than the clinic's expected rate says?

For every group of doses and every event type with an expected rate ("1 in N",
AdverseEventType.expected_one_in) this reads exposures and events, aggregated in
PostgreSQL (two queries per level plus one for the event types, whatever the number of
doses), and tests them with scipy's exact binomial test.

Counting choices:
- Voided visits and voided adverse events never count.
- Exposure follows the event type's unit. A "dose" type (infection: 1 in 2,000
  treatments) is exposed once per dose: a lot's exposures are the doses given from it.
  A "visit" type (cold sore: 1 in 20 visits) is exposed once per visit: a lot's
  exposures are the distinct visits where any dose came from it, however many sites
  were treated from it that day.
- Events are counted per exposure, so they can never exceed the exposures (the binomial
  test has no meaning otherwise). An event counts for each group among its linked doses,
  once per group. A "dose" type counts the distinct adverse events linked to a dose of
  the group, but never more than the distinct doses that had one: two entries of one
  infection on one dose are one infected dose, and one infection linked to both knees is
  one event. A "visit" type counts the distinct visits (of the linked doses) with such an
  event, so two cold-sore entries of one visit are one event against one visit.
- The same rules apply at product level (doses from any lot of the product) and at site
  category level (doses to any site of the category).
- Rate and its 95 % interval are two-sided exact (Clopper-Pearson), as R's binom.test
  reports them; the p-value is one-sided ("more events than expected"). A group signals
  when p < SAFETY_SIGNAL_P_VALUE and it has at least SAFETY_SIGNAL_MIN_EVENTS events.
- Groups with no exposure are left out: there is nothing to test.
- A group whose test fails is left out and logged: one bad group never takes the page,
  its API or the daily refresh down with it.
"""

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from django.conf import settings
from django.db.models import Count, QuerySet
from django.db.models.enums import TextChoices

from apps.safety.models import AdverseEventDose, AdverseEventType, LotSignal
from apps.treatments.models import Dose, TreatmentSite


class Level(TextChoices):
    LOT = "lot", "Lot"
    PRODUCT = "product", "Product"
    SITE_CATEGORY = "site_category", "Site category"


@dataclass(frozen=True)
class _Grouping:
    """How one level groups doses: the key and label columns seen from a dose, and the
    key seen from an adverse event's dose link."""

    dose_key: str
    dose_labels: tuple[str, ...]
    event_key: str


_GROUPINGS = {
    Level.LOT: _Grouping(
        "lot_id", ("lot__lot_number", "lot__product_id", "lot__product__name"), "dose__lot_id"
    ),
    Level.PRODUCT: _Grouping(
        "lot__product_id",
        ("lot__product__name", "lot__product__manufacturer__name"),
        "dose__lot__product_id",
    ),
    Level.SITE_CATEGORY: _Grouping("site__category", (), "dose__site__category"),
}
_CATEGORY_LABELS = dict(TreatmentSite.Category.choices)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SafetySignal:
    """One group (a lot, a product or a site category) tested for one event type."""

    level: str
    key: int | str
    label: str
    event_type: AdverseEventType
    exposures: int
    events: int
    p_value: float
    ci_low: float
    ci_high: float
    signalling: bool
    product_id: int | None = None

    @property
    def rate(self) -> float:
        return self.events / self.exposures

    @property
    def expected_rate(self) -> float:
        # Signals are tested only for types with an expected rate (event_types_with_rate).
        return 1 / cast(int, self.event_type.expected_one_in)

    @property
    def lot_id(self) -> int | None:
        # A lot's key is its id (only a site category's key is text).
        return cast(int, self.key) if self.level == Level.LOT else None

    # --- readable numbers, for the page and the e-mails ---

    @property
    def rate_text(self) -> str:
        return f"{self.events:,} in {self.exposures:,} ({percent(self.rate)})"

    @property
    def ci_text(self) -> str:
        return f"{percent(self.ci_low)} to {percent(self.ci_high)}"

    @property
    def expected_text(self) -> str:
        return f"1 in {self.event_type.expected_one_in:,} ({percent(self.expected_rate)})"

    @property
    def p_value_text(self) -> str:
        return p_value_text(self.p_value)


def percent(share: float) -> str:
    """A share as a percentage with enough digits to tell small rates apart."""
    value = share * 100
    if value == 0:
        return "0 %"
    digits = 2 if value >= 0.1 else 3
    return f"{value:.{digits}g} %" if value < 1 else f"{value:.2f} %"


def p_value_text(p: float) -> str:
    """Plain decimals down to 0.001; smaller values in scientific notation."""
    if p >= 0.001:
        return f"{p:.3f}"
    mantissa, exponent = f"{p:.1e}".split("e")
    return f"{mantissa} \u00d7 10^{int(exponent)}"


@lru_cache(maxsize=4096)
def binomial_test(events: int, exposures: int, expected_one_in: int) -> tuple[float, float, float]:
    """One-sided exact p-value (more events than 1 in `expected_one_in` would give) and
    the two-sided 95 % Clopper-Pearson interval of the rate. Cached: many groups share
    their counts (0 events in a handful of doses)."""
    # Imported here: scipy costs ~60 MiB, and web workers that never open the signals
    # page (CSV downloads) should not carry it.
    from scipy.stats import binomtest

    greater = binomtest(events, exposures, 1 / expected_one_in, alternative="greater")
    interval = binomtest(events, exposures).proportion_ci(confidence_level=0.95, method="exact")
    return float(greater.pvalue), float(interval.low), float(interval.high)


def signal_rule() -> tuple[float, int]:
    return settings.SAFETY_SIGNAL_P_VALUE, settings.SAFETY_SIGNAL_MIN_EVENTS


def event_types_with_rate() -> QuerySet[AdverseEventType]:
    """The event types a signal is tested for: those with an expected rate."""
    return AdverseEventType.objects.filter(expected_one_in__isnull=False).order_by("name")


def _exposures(grouping: _Grouping) -> list[dict]:
    return list(
        Dose.objects.filter(visit__voided_at__isnull=True)
        .values(grouping.dose_key, *grouping.dose_labels)
        .annotate(doses=Count("id"), visits=Count("visit_id", distinct=True))
        .order_by()
    )


def _events(grouping: _Grouping, types: list[AdverseEventType]) -> dict[tuple, dict]:
    rows = (
        AdverseEventDose.objects.filter(
            adverse_event__voided_at__isnull=True,
            dose__visit__voided_at__isnull=True,
            adverse_event__event_type__in=types,
        )
        .values(grouping.event_key, "adverse_event__event_type_id")
        .annotate(
            events=Count("adverse_event_id", distinct=True),
            doses=Count("dose_id", distinct=True),
            visits=Count("dose__visit_id", distinct=True),
        )
        .order_by()
    )
    return {(row[grouping.event_key], row["adverse_event__event_type_id"]): row for row in rows}


def _events_per_exposure(counted: dict | None, *, per_visit: bool) -> int:
    """Events of one group and type counted against its exposures (module notes): never
    more than the exposed doses or visits that had one."""
    if counted is None:
        return 0
    if per_visit:
        return counted["visits"]
    return min(counted["events"], counted["doses"])


def _label(level: str, row: dict) -> str:
    if level == Level.LOT:
        return f"{row['lot__product__name']} lot {row['lot__lot_number']}"
    if level == Level.PRODUCT:
        return f"{row['lot__product__name']} ({row['lot__product__manufacturer__name']})"
    return _CATEGORY_LABELS.get(row["site__category"], row["site__category"])


def safety_signals(
    *, levels: list[str] | None = None, event_types: list[AdverseEventType] | None = None
) -> list[SafetySignal]:
    """Every tested group of the asked levels (all by default) for the asked event types
    (by default every type with an expected rate), signalling ones first, then the
    smallest p-value. Two queries per level, plus one when the types are not given."""
    levels = levels or list(Level.values)
    types = list(event_types_with_rate()) if event_types is None else event_types
    if not types:
        return []
    p_limit, min_events = signal_rule()
    signals = []
    for level in levels:
        grouping = _GROUPINGS[Level(level)]
        events = _events(grouping, types)
        for row in _exposures(grouping):
            key = row[grouping.dose_key]
            for event_type in types:
                per_visit = event_type.exposure == AdverseEventType.Exposure.VISIT
                exposures = row["visits" if per_visit else "doses"]
                n_events = _events_per_exposure(
                    events.get((key, event_type.pk)), per_visit=per_visit
                )
                try:
                    p, low, high = binomial_test(n_events, exposures, event_type.expected_one_in)
                except ValueError:
                    logger.exception(
                        "Safety signal of %s %s for %s not tested (%d events, %d exposures).",
                        level,
                        key,
                        event_type.code,
                        n_events,
                        exposures,
                    )
                    continue
                signals.append(
                    SafetySignal(
                        level=level,
                        key=key,
                        label=_label(level, row),
                        event_type=event_type,
                        exposures=exposures,
                        events=n_events,
                        p_value=p,
                        ci_low=low,
                        ci_high=high,
                        signalling=p < p_limit and n_events >= min_events,
                        product_id=row.get("lot__product_id"),
                    )
                )
    signals.sort(key=lambda s: (not s.signalling, s.p_value, s.level, s.label))
    return signals


def signalling_lot_signals() -> QuerySet[LotSignal]:
    """The lots the last daily recomputation left signalling, for the digest and pages."""
    return (
        LotSignal.objects.filter(signalling=True)
        .select_related("lot__product", "event_type")
        .order_by("signalling_since", "id")
    )


def lot_signal_lines(lot_signals: list[LotSignal]) -> list[dict]:
    """Stored lot signals in readable words, for the e-mails (no patient in them)."""
    return [
        {
            "lot": row.lot,
            "event_type": row.event_type,
            "rate_text": f"{row.events:,} in {row.exposures:,}"
            + (f" ({percent(row.events / row.exposures)})" if row.exposures else ""),
            "expected_text": f"1 in {row.event_type.expected_one_in:,}"
            if row.event_type.expected_one_in
            else "",
            "p_value_text": p_value_text(row.p_value) if row.p_value is not None else "",
            "signalling_since": row.signalling_since,
        }
        for row in lot_signals
    ]
