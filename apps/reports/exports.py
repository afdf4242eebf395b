"""The four CSV exports of the reports page and API. Each is one SELECT that PostgreSQL
writes itself with COPY: every cell is built as text in SQL (ISO dates, the formula
prefix, the pseudonym), filters are bound parameters, and the columns carry their
meaning so the data dictionary on the page is the SELECT's own list.

De-identified exports (the only kind for staff without `reports.export_identified`)
carry no name, e-mail, phone, MRN, birth date or free text: a pseudonymous reference,
the age band at the visit and, optionally, every date of a patient moved by the same
number of days (stable per patient, at most `shift_days` either way)."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils import timezone
from psycopg import sql

from apps.outcomes.rules import responder_sql
from apps.reports.episodes import visit_days_are_current
from apps.reports.filters import ReportFilters
from apps.reports.sql import (
    PIVOT_TIMEPOINTS,
    STORED_VISIT_DAY,
    Column,
    day,
    dose_joins,
    exported_patients,
    hmac_pads,
    outcome_params,
    patient_columns,
    safe,
    select,
    visit_day,
)


@dataclass(frozen=True)
class ExportOptions:
    identified: bool = False
    shift_days: int = 0

    @property
    def shifted(self) -> bool:
        return not self.identified and self.shift_days > 0

    def described(self) -> dict[str, Any]:
        return {
            "mode": "identified" if self.identified else "de-identified",
            "date_shift_days": self.shift_days if self.shifted else 0,
        }


@dataclass(frozen=True)
class Plan:
    """How an export reads what it can read two ways (export_query chooses)."""

    # The patients' references worked out once per patient, else on each row.
    patients_once: bool = False
    # The episodes' own visit days and ages (Episode.visit_on), else worked out per row
    # from the visit's time: when the episodes were built in another time zone.
    stored_days: bool = False

    def patients(self) -> sql.Composed:
        return exported_patients(once=self.patients_once)


@dataclass(frozen=True)
class Export:
    name: str
    title: str
    one_row_per: str
    columns: Callable[[ExportOptions], list[Column]]
    # The FROM and WHERE, given the filters and how to read.
    body: Callable[[ReportFilters, Plan], sql.Composable]
    params: Callable[[], dict[str, Any]] = field(default=dict)

    def query(
        self, filters: ReportFilters, options: ExportOptions, plan: Plan | None = None
    ) -> tuple[sql.Composed, dict[str, Any]]:
        params = {
            **filters.params(),
            **self.params(),
            **hmac_pads(),
            "shift_days": options.shift_days if options.shifted else 0,
        }
        body = self.body(filters, plan or Plan())
        return select(self.columns(options), body), params

    def header(self, options: ExportOptions) -> list[str]:
        return [column.name for column in self.columns(options)]


def export_query(
    export: Export, filters: ReportFilters, options: ExportOptions, *, using: str = "default"
) -> tuple[sql.Composed, dict[str, Any]]:
    """The export's SELECT and parameters, the patients' references worked out once per
    patient when the export has more rows than the clinic has patients, else on each row
    (a week's export should not hash 100,000 patients). Both counts are the planner's
    estimates: one EXPLAIN, a few milliseconds. Visit days come from the episodes when
    they are in the settings' time zone."""
    with connections[using].cursor() as cursor:
        plan = Plan(stored_days=visit_days_are_current(cursor))
        query, params = export.query(filters, options, plan)
        explain = sql.SQL("EXPLAIN (FORMAT JSON) {}").format(query)
        cursor.execute(explain.as_string(cursor.connection), params)
        rows = cursor.fetchone()[0][0]["Plan"]["Plan Rows"]
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'patients_patient'::regclass")
        patients = cursor.fetchone()[0]
    if rows > patients:
        return export.query(filters, options, replace(plan, patients_once=True))
    return query, params


def _text(column: str) -> sql.Composed:
    return safe(sql.SQL(column))


# --- 1. Outcomes: one row per episode ------------------------------------------------


def _outcome_columns(options: ExportOptions) -> list[Column]:
    shifted = options.shifted
    return [
        *patient_columns(identified=options.identified, age_years="vd.age_years"),
        Column("site", sql.SQL("s.name_cell"), "Treated site."),
        Column("site_category", sql.SQL("s.category"), "Category of the site."),
        Column("laterality", sql.SQL("e.laterality"), "left, right, bilateral or na."),
        Column("product", sql.SQL("l.product_cell"), "Product given."),
        Column("manufacturer", sql.SQL("l.manufacturer_cell"), "Its manufacturer."),
        Column("lot", sql.SQL("l.lot_cell"), "Lot number."),
        Column("billions", sql.SQL("e.billions"), "Dose in billions of particles."),
        Column("visit_date", day("vd.visit_on", shifted=shifted), "Day of the visit."),
        Column(
            "baseline_pain",
            sql.SQL("e.baseline_pain"),
            "Pain (0-10) on the visit form; else a baseline assessment.",
        ),
        *(
            Column(
                f"pain_{tp}",
                sql.Identifier("e", f"pain_{tp}"),
                f"Pain at {tp}: the latest assessment of that timepoint.",
            )
            for tp in PIVOT_TIMEPOINTS
        ),
        Column(
            "latest_timepoint",
            sql.SQL("e.latest_timepoint"),
            "Timepoint of the latest assessment after the visit (others included).",
        ),
        Column("latest_pain", sql.SQL("e.latest_pain"), "Pain at the latest assessment."),
        Column("pgic", sql.SQL("e.pgic"), "Global impression of change (1-7) at the latest."),
        Column("percent_better", sql.SQL("e.percent_better"), "Self-rated % better at the latest."),
        Column(
            "change",
            sql.SQL("e.latest_pain - e.baseline_pain"),
            "Latest pain minus baseline pain (negative: less pain).",
        ),
        Column(
            "responder",
            sql.SQL("CASE {} WHEN true THEN 'yes' WHEN false THEN 'no' END").format(
                responder_sql(baseline="e.baseline_pain", pain="e.latest_pain")
            ),
            "yes: pain down by the clinic's points or percentage; empty: unknown.",
        ),
        Column(
            "adverse_events",
            safe(sql.SQL("e.adverse_events")),
            "Types of adverse events linked to this dose, ';'-separated.",
        ),
        Column(
            "follow_up_days",
            sql.SQL("e.last_assessed_on - vd.visit_on"),
            "Days from the visit to the last assessment.",
        ),
    ]


def _outcome_body(filters: ReportFilters, plan: Plan) -> sql.Composed:
    # From the episodes table (outcome pivot and adverse events already worked out, only
    # episodes of visits and patients not voided), joined to the patient and the small
    # catalogue tables. No ORDER BY: rows leave as the scan finds them, so the first
    # arrives at once instead of after a sort of every episode.
    # The catalogue's cells (formula-safe text) are made once per site and lot, in
    # subqueries PostgreSQL may not pull up (OFFSET 0), not once per episode; the visit
    # day and age band, once per write (Episode.visit_on) unless the zone has changed.
    return sql.SQL(
        """reports_episode e
        JOIN {patients} ON p.id = e.patient_id
        JOIN (SELECT id, category, {site_cell} AS name_cell
              FROM treatments_treatmentsite OFFSET 0) s ON s.id = e.site_id
        JOIN (SELECT l.id, {lot_cell} AS lot_cell, {product_cell} AS product_cell,
                     {manufacturer_cell} AS manufacturer_cell
              FROM inventory_lot l
              JOIN inventory_product pr ON pr.id = l.product_id
              JOIN inventory_manufacturer m ON m.id = pr.manufacturer_id OFFSET 0) l
          ON l.id = e.lot_id
        {visit_day}
        WHERE {where}"""
    ).format(
        patients=plan.patients(),
        visit_day=STORED_VISIT_DAY if plan.stored_days else visit_day("e.visited_at"),
        site_cell=_text("name"),
        lot_cell=_text("l.lot_number"),
        product_cell=_text("pr.name"),
        manufacturer_cell=_text("m.name"),
        where=sql.SQL(" AND ").join(
            [sql.SQL("true"), *filters.summary_period(), *filters.summary_conditions()]
        ),
    )


# --- 2. Adverse events: one row per event ---------------------------------------------


def _adverse_event_columns(options: ExportOptions) -> list[Column]:
    shifted = options.shifted
    columns = [
        *patient_columns(identified=options.identified, age_years="vd.age_years"),
        Column("event_type", _text("t.name"), "Type of event."),
        Column("grade", sql.SQL("ae.grade"), "CTCAE grade 1-5."),
        Column(
            "serious",
            sql.SQL("CASE WHEN cardinality(ae.seriousness) > 0 THEN 'yes' ELSE 'no' END"),
            "yes when any FDA seriousness criterion is met.",
        ),
        Column(
            "seriousness",
            sql.SQL("array_to_string(ae.seriousness, ';')"),
            "Seriousness criteria met, ';'-separated.",
        ),
        Column("onset_date", day("ae.onset_date", shifted=shifted), "Onset."),
        Column("resolution_date", day("ae.resolution_date", shifted=shifted), "Resolution."),
        Column("outcome", sql.SQL("ae.outcome"), "Outcome of the event."),
        Column("causality", sql.SQL("ae.causality"), "Relation to the treatment."),
        Column("visit_date", day("vd.visit_on", shifted=shifted), "Day of the visit."),
        Column(
            "days_after_visit", sql.SQL("ae.onset_date - vd.visit_on"), "Onset minus visit day."
        ),
        Column("sites", _text("linked.sites"), "Sites of the linked doses, ';'-separated."),
        Column("products", _text("linked.products"), "Products of the linked doses."),
        Column("lots", _text("linked.lots"), "Lots of the linked doses."),
    ]
    if options.identified:
        columns += [
            Column("description", _text("ae.description"), "Description (type 'other')."),
            Column("action_taken", _text("ae.action_taken"), "Action taken."),
            Column("narrative", _text("ae.narrative"), "Narrative."),
        ]
    return columns


def _adverse_event_body(filters: ReportFilters, plan: Plan) -> sql.Composed:
    conditions = [
        sql.SQL("ae.voided_at IS NULL"),
        *filters.visit_conditions(),
        # Site, product and lot filters keep the events attributed to a matching dose.
        *filters.dose_exists(
            doses="safety_adverseeventdose aed JOIN treatments_dose d ON d.id = aed.dose_id",
            linked_by="aed.adverse_event_id = ae.id",
        ),
    ]
    return sql.SQL(
        """safety_adverseevent ae
        JOIN treatments_visit v ON v.id = ae.visit_id
        JOIN {patients} ON p.id = ae.patient_id
        JOIN safety_adverseeventtype t ON t.id = ae.event_type_id
        {visit_day}
        LEFT JOIN LATERAL (
            SELECT string_agg(DISTINCT s.name, ';' ORDER BY s.name) AS sites,
                   string_agg(DISTINCT pr.name, ';' ORDER BY pr.name) AS products,
                   string_agg(DISTINCT l.lot_number, ';' ORDER BY l.lot_number) AS lots
            FROM safety_adverseeventdose aed
            JOIN treatments_dose d ON d.id = aed.dose_id
            JOIN treatments_treatmentsite s ON s.id = d.site_id
            JOIN inventory_lot l ON l.id = d.lot_id
            JOIN inventory_product pr ON pr.id = l.product_id
            WHERE aed.adverse_event_id = ae.id
        ) linked ON true
        WHERE {where}
        ORDER BY ae.onset_date, ae.id"""
    ).format(
        patients=plan.patients(),
        visit_day=visit_day("v.visited_at"),
        where=sql.SQL(" AND ").join(conditions),
    )


# --- 3. Doses by lot: traceability, lot -> patient ------------------------------------


def _dose_columns(options: ExportOptions) -> list[Column]:
    return [
        Column("manufacturer", _text("m.name"), "Manufacturer."),
        Column("product", _text("pr.name"), "Product."),
        Column("lot", _text("l.lot_number"), "Lot number."),
        Column("lot_expiry", day("l.expiry_date", shifted=False), "Expiry of the lot."),
        Column("lot_status", sql.SQL("l.status"), "available, quarantined or recalled."),
        Column("visit_date", day("vd.visit_on", shifted=options.shifted), "Day of the visit."),
        *patient_columns(identified=options.identified, age_years="vd.age_years"),
        Column("site", _text("s.name"), "Treated site."),
        Column("laterality", sql.SQL("d.laterality"), "left, right, bilateral or na."),
        Column("billions", sql.SQL("d.billions"), "Billions of particles from this lot."),
        Column("route", sql.SQL("d.route"), "Route of administration."),
        Column("location", _text("loc.name"), "Where the patient was treated."),
        Column(
            "clinician",
            _text("concat_ws(' ', u.first_name, u.last_name)"),
            "Clinician responsible for the visit.",
        ),
    ]


def _dose_body(filters: ReportFilters, plan: Plan) -> sql.Composed:
    return sql.SQL(
        """{joins}
        JOIN clinic_location loc ON loc.id = v.location_id
        JOIN accounts_user u ON u.id = v.clinician_id
        WHERE {where}
        ORDER BY m.name, pr.name, l.lot_number, v.visited_at, d.id"""
    ).format(joins=dose_joins(plan.patients()), where=filters.episode_where())


# --- 4. Follow-up compliance: one row per follow-up of a visit ------------------------


def _compliance_columns(options: ExportOptions) -> list[Column]:
    shifted = options.shifted
    return [
        *patient_columns(identified=options.identified, age_years="vd.age_years"),
        Column("visit_date", day("vd.visit_on", shifted=shifted), "Visit that scheduled it."),
        Column("follow_up", _text("coalesce(r.name, f.kind)"), "Rule that scheduled it."),
        Column("kind", sql.SQL("f.kind"), "check_in, outcome, repeat_session ..."),
        Column("channel", sql.SQL("f.channel"), "email (reminders) or call (staff)."),
        Column("due_on", day("f.due_on", shifted=shifted), "Day it fell due."),
        Column("status", sql.SQL("f.status"), "As recorded: pending, completed, cancelled..."),
        Column(
            "compliance",
            sql.SQL(
                "CASE WHEN f.status = 'pending' AND f.due_on < %(missed_before)s THEN 'missed' "
                "WHEN f.status = 'pending' THEN 'open' ELSE f.status END"
            ),
            "completed; missed (still pending more than the grace days after it fell due); "
            "open (pending within the grace); cancelled and superseded as recorded.",
        ),
        Column(
            "completed_on",
            day("(f.completed_at AT TIME ZONE %(zone)s)::date", shifted=shifted),
            "Day it was completed.",
        ),
        Column(
            "days_late",
            sql.SQL("(f.completed_at AT TIME ZONE %(zone)s)::date - f.due_on"),
            "Completion day minus due day.",
        ),
        Column("reminders_sent", sql.SQL("sent.reminders"), "Reminder e-mails accepted."),
        Column("reminders_failed", sql.SQL("sent.failures"), "Reminder attempts that failed."),
    ]


def _compliance_body(filters: ReportFilters, plan: Plan) -> sql.Composed:
    conditions = [
        *filters.visit_conditions(),
        # The visit treated a matching site (the follow-up's own site, when it has one).
        *filters.dose_exists(
            doses="treatments_dose d",
            linked_by="d.visit_id = v.id AND (f.site_id IS NULL OR d.site_id = f.site_id)",
        ),
    ]
    return sql.SQL(
        """followups_followup f
        JOIN treatments_visit v ON v.id = f.visit_id
        JOIN {patients} ON p.id = f.patient_id
        LEFT JOIN followups_followuprule r ON r.id = f.rule_id
        {visit_day}
        CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE rd.status = 'sent') AS reminders,
                   count(*) FILTER (WHERE rd.status <> 'sent') AS failures
            FROM followups_reminderdelivery rd WHERE rd.follow_up_id = f.id
        ) sent
        WHERE {where}
        ORDER BY f.due_on, f.id"""
    ).format(
        patients=plan.patients(),
        visit_day=visit_day("v.visited_at"),
        where=sql.SQL(" AND ").join(conditions),
    )


def _compliance_params() -> dict[str, Any]:
    grace = datetime.timedelta(days=settings.REPORTS_FOLLOWUP_GRACE_DAYS)
    return {"missed_before": timezone.localdate() - grace}


EXPORTS: dict[str, Export] = {
    export.name: export
    for export in (
        Export(
            name="outcomes",
            title="Outcomes",
            one_row_per="treated site of a visit (episode)",
            columns=_outcome_columns,
            body=_outcome_body,
            params=outcome_params,
        ),
        Export(
            name="adverse-events",
            title="Adverse events",
            one_row_per="adverse event",
            columns=_adverse_event_columns,
            body=_adverse_event_body,
        ),
        Export(
            name="doses-by-lot",
            title="Doses by lot",
            one_row_per="dose, by manufacturer, product, lot and visit",
            columns=_dose_columns,
            body=_dose_body,
        ),
        Export(
            name="follow-up-compliance",
            title="Follow-up compliance",
            one_row_per="follow-up scheduled by a visit",
            columns=_compliance_columns,
            body=_compliance_body,
            params=_compliance_params,
        ),
    )
}
