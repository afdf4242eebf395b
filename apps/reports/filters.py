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

    def visit_conditions(self) -> list[sql.Composable]:
        """Conditions on the visit (alias v) and its patient (alias p)."""
        conditions: list[sql.Composable] = [
            sql.SQL("v.voided_at IS NULL"),
            sql.SQL("p.voided_at IS NULL"),
        ]
        # Visit days are the clinic's days: bounds are midnights in its time zone.
        if self.date_from:
            conditions.append(sql.SQL("v.visited_at >= %(visited_from)s"))
        if self.date_to:
            conditions.append(sql.SQL("v.visited_at < %(visited_before)s"))
        if self.clinician_id:
            conditions.append(sql.SQL("v.clinician_id = %(clinician_id)s"))
        if self.location_id:
            conditions.append(sql.SQL("v.location_id = %(location_id)s"))
        return conditions

    def dose_conditions(self) -> list[sql.Composable]:
        """Conditions on the dose (alias d), its site (s) and its lot (l)."""
        conditions: list[sql.Composable] = []
        if self.site_category:
            conditions.append(sql.SQL("s.category = %(site_category)s"))
        if self.site_id:
            conditions.append(sql.SQL("d.site_id = %(site_id)s"))
        if self.product_id:
            conditions.append(sql.SQL("l.product_id = %(product_id)s"))
        if self.lot_id:
            conditions.append(sql.SQL("d.lot_id = %(lot_id)s"))
        return conditions

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
