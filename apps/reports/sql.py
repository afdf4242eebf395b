"""SQL pieces the reports share: the joins of a dose (one treated site of a visit) to
its visit, patient, site and lot, the responder rule's parameters, and how a patient
appears in an export (identified or by a pseudonymous reference). The outcome pivot per
episode lives in the episodes table (apps.reports.models.Episode)."""

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from psycopg import sql

from apps.outcomes.rules import responder_params
from exotrack.csv_export import sql_csv_safe

# Timepoints with a column of their own (Episode.pain_*), in the order of the schedule;
# "other" counts towards the latest assessment only.
PIVOT_TIMEPOINTS = ("2w", "6w", "3m", "6m", "12m")
REFERENCE_HEX_DIGITS = 16
# The age bands of the exports, indexed by whole years // 5 (ages 0 to 199).
AGE_BANDS = [f"{start}-{start + 4}" for start in range(0, 200, 5)]

safe = sql_csv_safe


def patient_reference(patient_id: int) -> str:
    """The stable pseudonym of a patient in de-identified exports: HMAC-SHA256 of the
    id under REPORTS_PSEUDONYM_KEY. The same in every export; meaningless without the key."""
    digest = hmac.new(
        settings.REPORTS_PSEUDONYM_KEY.encode(), str(patient_id).encode(), hashlib.sha256
    ).hexdigest()
    return "P-" + digest[:REFERENCE_HEX_DIGITS]


def date_shift(patient_id: int, max_days: int) -> int:
    """Days every date of this patient moves in a shifted export (-max_days..max_days),
    from the same HMAC as the reference: stable across exports, unknown without the key."""
    digest = hmac.new(
        settings.REPORTS_PSEUDONYM_KEY.encode(), str(patient_id).encode(), hashlib.sha256
    ).hexdigest()
    return int(digest[16:23], 16) % (2 * max_days + 1) - max_days


def hmac_pads() -> dict[str, bytes]:
    """REPORTS_PSEUDONYM_KEY as HMAC-SHA256's inner and outer padded keys (RFC 2104), so
    SQL can compute the HMAC with PostgreSQL's built-in sha256() and no extension:
    HMAC(K, m) = sha256((K ^ opad) || sha256((K ^ ipad) || m))."""
    key = settings.REPORTS_PSEUDONYM_KEY.encode()
    if len(key) > hashlib.sha256().block_size:
        key = hashlib.sha256(key).digest()
    key = key.ljust(hashlib.sha256().block_size, b"\0")
    return {
        "hmac_inner": bytes(b ^ 0x36 for b in key),
        "hmac_outer": bytes(b ^ 0x5C for b in key),
    }


# How a patient appears in an export, beside their row (alias p), as `exported`: the
# pseudonymous reference and date shift (patient_reference and date_shift, computed by
# SQL with the built-in sha256).
_EXPORTED = sql.SQL(
    "SELECT ('P-' || left(ph.h, {digits})) AS reference, "
    "(('x' || substr(ph.h, 17, 7))::bit(28)::int %% (2 * %(shift_days)s + 1))"
    " - %(shift_days)s AS days "
    "FROM (SELECT encode(sha256(%(hmac_outer)s || "
    "sha256(%(hmac_inner)s || convert_to(p.id::text, 'UTF8'))), 'hex') AS h) ph"
).format(digits=sql.Literal(REFERENCE_HEX_DIGITS))


def exported_patients(*, once: bool) -> sql.Composed:
    """The patients of an export (alias p) with their exported columns (p.reference,
    p.days), to join to the rows as `JOIN {} ON p.id = <the row's patient>`.

    Worked out on each row (PostgreSQL pulls the subquery up into the export), or once
    per patient (OFFSET 0 keeps it whole, then a hash join brings it to the rows): two
    HMACs on each of a million episodes were a third of the whole clinic's outcomes
    export."""
    return sql.SQL(
        "(SELECT p.*, exported.* FROM patients_patient p "
        "CROSS JOIN LATERAL ({exported}) exported{offset}) p"
    ).format(exported=_EXPORTED, offset=sql.SQL(" OFFSET 0" if once else ""))


def visit_day(visited_at: str) -> sql.Composed:
    """The clinic's day of the visit at `visited_at` and the patient's (p) whole years on
    that day, as vd.visit_on and vd.age_years (reports_age_years: reports migration 0008)."""
    return sql.SQL(
        "CROSS JOIN LATERAL (SELECT day.visit_on, "
        "reports_age_years(p.date_of_birth, day.visit_on) AS age_years "
        "FROM (SELECT ({} AT TIME ZONE %(zone)s)::date AS visit_on) day) vd"
    ).format(sql.SQL(visited_at))


# The same, as an episode (e) keeps them: see Episode.visit_on.
STORED_VISIT_DAY = sql.SQL("CROSS JOIN LATERAL (SELECT e.visit_on, e.age_years) vd")


def dose_joins(patients: sql.Composable) -> sql.Composed:
    """A dose (d) with its visit (v), patient (`patients`, as p), site, lot, product and
    manufacturer, and the clinic's day of the visit with the patient's age on it (vd)."""
    return sql.SQL(
        """treatments_dose d
    JOIN treatments_visit v ON v.id = d.visit_id
    JOIN {patients} ON p.id = v.patient_id
    JOIN treatments_treatmentsite s ON s.id = d.site_id
    JOIN inventory_lot l ON l.id = d.lot_id
    JOIN inventory_product pr ON pr.id = l.product_id
    JOIN inventory_manufacturer m ON m.id = pr.manufacturer_id
    {visit_day}"""
    ).format(patients=patients, visit_day=visit_day("v.visited_at"))


def outcome_params() -> dict[str, int]:
    """The query parameters of the outcome columns (the responder thresholds)."""
    return responder_params()


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, its SQL (text, so COPY writes it as is) and
    what it means, for the data dictionary on the reports page."""

    name: str
    expression: sql.Composable
    meaning: str


def day(expression: str, *, shifted: bool) -> sql.Composable:
    """A date as COPY writes it under DateStyle ISO (YYYY-MM-DD: copy_csv_chunks sets
    it), in a shifted de-identified export moved by the patient's shift. to_char() on
    each of a million rows was a sixth of the outcomes export."""
    if shifted:
        return sql.SQL("{} + p.days").format(sql.SQL(expression))
    return sql.SQL(expression)


def patient_columns(*, identified: bool, age_years: str) -> list[Column]:
    """Who the row is about: always the reference, the age band at the visit and sex;
    identified exports add MRN, names and date of birth."""
    columns = [
        Column(
            "patient_ref",
            sql.SQL("p.reference"),
            "Stable pseudonymous patient reference (keyed HMAC), the same in every export.",
        )
    ]
    if identified:
        columns += [
            Column("mrn", safe(sql.SQL("p.mrn")), "Medical record number."),
            Column("last_name", safe(sql.SQL("p.last_name")), "Family name."),
            Column("first_name", safe(sql.SQL("p.first_name")), "Given name."),
            Column("date_of_birth", day("p.date_of_birth", shifted=False), "Date of birth."),
        ]
    columns += [
        Column(
            "age_band",
            sql.SQL("({bands}::text[])[{age_years} / 5 + 1]").format(
                bands=sql.Literal("{" + ",".join(AGE_BANDS) + "}"), age_years=sql.SQL(age_years)
            ),
            "Age at the visit in 5-year bands, e.g. 40-44.",
        ),
        Column("sex", sql.SQL("p.sex"), "female, male, other or unknown."),
    ]
    return columns


def select(columns: list[Column], rest: sql.Composable) -> sql.Composed:
    return sql.SQL("SELECT {columns} FROM {rest}").format(
        columns=sql.SQL(", ").join(
            sql.SQL("{} AS {}").format(c.expression, sql.Identifier(c.name)) for c in columns
        ),
        rest=rest,
    )
