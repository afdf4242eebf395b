"""The filters of the reports page, its charts and its CSV exports: one object, turned
into SQL conditions with bound parameters (never text pasted into the query).

Episodes are doses of visits that were not voided, of patients not voided. The SQL of
every report names the tables the same way: v (visit), d (dose), s (treatment site),
l (lot), p (patient)."""

import datetime
from dataclasses import asdict, dataclass
from typing import Any

from django.utils import timezone
from psycopg import sql


@dataclass(frozen=True)
class ReportFilters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    site_category: str = ""
    site_id: int | None = None
    product_id: int | None = None
    lot_id: int | None = None
    clinician_id: int | None = None
    location_id: int | None = None

    def _set(self, conditions: list[tuple[object, str]]) -> list[sql.Composable]:
        """The conditions whose filter is set: (filter value, SQL with its parameter)."""
        return [sql.SQL(text) for value, text in conditions if value]

    def visit_conditions(self) -> list[sql.Composable]:
        """Conditions on the visit (alias v) and its patient (alias p)."""
        return [
            sql.SQL("v.voided_at IS NULL"),
            sql.SQL("p.voided_at IS NULL"),
            # Visit days are the clinic's days: bounds are midnights in its time zone.
            *self._set(
                [
                    (self.date_from, "v.visited_at >= %(visited_from)s"),
                    (self.date_to, "v.visited_at < %(visited_before)s"),
                    (self.clinician_id, "v.clinician_id = %(clinician_id)s"),
                    (self.location_id, "v.location_id = %(location_id)s"),
                ]
            ),
        ]

    def dose_conditions(self) -> list[sql.Composable]:
        """Conditions on the dose (alias d), its site (s) and its lot (l)."""
        return self._set(
            [
                (self.site_category, "s.category = %(site_category)s"),
                (self.site_id, "d.site_id = %(site_id)s"),
                (self.product_id, "l.product_id = %(product_id)s"),
                (self.lot_id, "d.lot_id = %(lot_id)s"),
            ]
        )

    def dose_exists(self, *, doses: str, linked_by: str) -> list[sql.Composable]:
        """For rows that are not doses (an event, a follow-up): the site, product and lot
        filters as "a linked dose matches them", or nothing when none is set. `doses`
        names the dose table as d (and any link table), `linked_by` ties it to the row."""
        conditions = self.dose_conditions()
        if not conditions:
            return []
        return [
            sql.SQL(
                "EXISTS (SELECT 1 FROM {doses} "
                "JOIN treatments_treatmentsite s ON s.id = d.site_id "
                "JOIN inventory_lot l ON l.id = d.lot_id WHERE {linked_by} AND {conditions})"
            ).format(
                doses=sql.SQL(doses),
                linked_by=sql.SQL(linked_by),
                conditions=sql.SQL(" AND ").join(conditions),
            )
        ]

    def episode_where(self) -> sql.Composed:
        return sql.SQL(" AND ").join([*self.visit_conditions(), *self.dose_conditions()])

    def summary_period(self) -> list[sql.Composable]:
        """The dates on the episodes table (alias e): midnights in the clinic's zone."""
        return self._set(
            [
                (self.date_from, "e.visited_at >= %(visited_from)s"),
                (self.date_to, "e.visited_at < %(visited_before)s"),
            ]
        )

    def summary_conditions(self) -> list[sql.Composable]:
        """The filters but the dates, on the episodes table or its totals (alias e), which
        hold only episodes of visits and patients not voided: a category or product is
        the set of its sites or lots (a few ids), so no episode is joined to read it."""
        return self._set(
            [
                (self.clinician_id, "e.clinician_id = %(clinician_id)s"),
                (self.location_id, "e.location_id = %(location_id)s"),
                (
                    self.site_category,
                    "e.site_id IN (SELECT id FROM treatments_treatmentsite "
                    "WHERE category = %(site_category)s)",
                ),
                (self.site_id, "e.site_id = %(site_id)s"),
                (
                    self.product_id,
                    "e.lot_id IN (SELECT id FROM inventory_lot WHERE product_id = %(product_id)s)",
                ),
                (self.lot_id, "e.lot_id = %(lot_id)s"),
            ]
        )

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "site_category": self.site_category,
            "site_id": self.site_id,
            "product_id": self.product_id,
            "lot_id": self.lot_id,
            "clinician_id": self.clinician_id,
            "location_id": self.location_id,
            "zone": timezone.get_default_timezone_name(),
            "visited_from": None,
            "visited_before": None,
        }
        zone = timezone.get_default_timezone()
        if self.date_from:
            params["visited_from"] = datetime.datetime.combine(
                self.date_from, datetime.time.min, tzinfo=zone
            )
        if self.date_to:
            params["visited_before"] = datetime.datetime.combine(
                self.date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
            )
        return params

    def described(self) -> dict[str, Any]:
        """The filters that were set, for the access log (JSON-safe)."""
        return {
            key: value.isoformat() if isinstance(value, datetime.date) else value
            for key, value in asdict(self).items()
            if value not in (None, "")
        }
