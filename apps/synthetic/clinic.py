"""Rows of a synthetic clinic, generated in memory as COPY text lines.

Everything comes from one `random.Random(seed)`, so the same seed, patient count and
day give the same clinic. Ids are handed out from the bases the loader reserved, so
visits, doses, opened vials and ledger movements can point at each other before any
row reaches PostgreSQL.
"""

import datetime
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from apps.synthetic.aftercare import (
    AFTERCARE_COLUMNS,
    Aftercare,
    EventTypeSpec,
    RuleSpec,
    TreatedSite,
)
from apps.synthetic.names import (
    FEMALE_FIRST_NAMES,
    LAST_NAMES,
    MALE_FIRST_NAMES,
)

UTC = datetime.UTC
NULL = "\\N"
# Visits fall on the last two years, never today (so never in the future).
VISIT_WINDOW_DAYS = 730
# Lots arrive before the window opens, so its first visits have stock too.
LOT_LEAD_DAYS = 240
LOT_EVERY_DAYS = 21


@dataclass(frozen=True)
class SiteSpec:
    id: int
    name: str
    category: str
    dose_min: float
    dose_max: float
    route: str
    laterality_applies: bool


@dataclass(frozen=True)
class ProductSpec:
    """A synthetic product and the stock it comes in."""

    id: int
    lot_prefix: str
    labelled_per_vial: int
    systemic: bool


@dataclass
class LotSpec:
    id: int
    product: ProductSpec
    lot_number: str
    received_on: datetime.date
    expiry_date: datetime.date
    vials_used: int = 0


@dataclass
class Tables:
    """COPY text lines per table, in the column order of `COLUMNS`."""

    lots: list[str] = field(default_factory=list)
    patients: list[str] = field(default_factory=list)
    medications: list[str] = field(default_factory=list)
    visits: list[str] = field(default_factory=list)
    doses: list[str] = field(default_factory=list)
    movements: list[str] = field(default_factory=list)
    vials_opened: list[str] = field(default_factory=list)
    assessments: list[str] = field(default_factory=list)
    adverse_events: list[str] = field(default_factory=list)
    adverse_event_doses: list[str] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)


COLUMNS = {
    "lots": [
        "id",
        "created_at",
        "updated_at",
        "lot_number",
        "expiry_date",
        "received_on",
        "vials_received",
        "labelled_billions_per_vial",
        "measured_billions_per_vial",
        "measured_source",
        "status",
        "status_reason",
        "storage_location",
        "vials_on_hand",
        "product_id",
    ],
    "patients": [
        "id",
        "voided_at",
        "void_reason",
        "created_at",
        "updated_at",
        "first_name",
        "last_name",
        "date_of_birth",
        "sex",
        "email",
        "phone",
        "email_consent",
        "email_consent_given_at",
        "immunocompromised",
        "immunocompromised_note",
        "cold_sore_history",
        "allergies",
        "conditions",
        "preferred_location_id",
    ],
    "medications": [
        "id",
        "created_at",
        "updated_at",
        "name",
        "dose_text",
        "started_on",
        "stopped_on",
        "created_by_id",
        "medication_class_id",
        "patient_id",
    ],
    "visits": [
        "id",
        "voided_at",
        "void_reason",
        "created_at",
        "updated_at",
        "visited_at",
        "indication",
        "consent_recorded",
        "consent_form_version",
        "cold_sore_prophylaxis",
        "notes",
        "clinician_id",
        "created_by_id",
        "location_id",
        "patient_id",
        "voided_by_id",
    ],
    "doses": [
        "id",
        "laterality",
        "billions",
        "route",
        "volume_ml",
        "baseline_pain",
        "lot_id",
        "site_id",
        "visit_id",
    ],
    "movements": ["id", "kind", "vials", "reason", "at", "by_id", "lot_id"],
    "vials_opened": ["id", "vials", "lot_id", "movement_id", "returned_id", "visit_id"],
    **AFTERCARE_COLUMNS,
}

# Medications by class code: (share of patients, names, usual doses).
MEDICATIONS = {
    "antihypertensive": (
        0.30,
        ("Lisinopril", "Amlodipine", "Losartan", "Metoprolol", "Hydrochlorothiazide"),
        ("5 mg once daily", "10 mg once daily", "25 mg once daily", "50 mg once daily"),
    ),
    "thyroid_hormone": (
        0.10,
        ("Levothyroxine", "Liothyronine"),
        ("50 mcg once daily", "75 mcg once daily", "100 mcg once daily"),
    ),
    "glucose_lowering": (
        0.08,
        ("Metformin", "Empagliflozin", "Semaglutide", "Glipizide"),
        ("500 mg twice daily", "10 mg once daily", "0.5 mg weekly"),
    ),
    "anticoagulant": (
        0.05,
        ("Apixaban", "Rivaroxaban", "Warfarin"),
        ("5 mg twice daily", "20 mg once daily", "as per INR clinic"),
    ),
    "other": (
        0.25,
        ("Atorvastatin", "Omeprazole", "Sertraline", "Vitamin D3", "Cetirizine"),
        ("20 mg once daily", "1000 IU once daily", "10 mg once daily"),
    ),
}
IMMUNOSUPPRESSANTS = ("Methotrexate", "Tacrolimus", "Azathioprine", "Prednisone")
IMMUNOCOMPROMISED_NOTES = (
    "On methotrexate for rheumatoid arthritis",
    "Kidney transplant, on tacrolimus",
    "Chemotherapy finished last year",
    "Long-term oral steroids",
    "HIV, well controlled",
)
ALLERGIES = ("Penicillin", "Latex", "Sulfa drugs", "Shellfish", "Iodine contrast", "Codeine")
CONDITIONS_BY_CATEGORY = {
    "joint": ("Osteoarthritis", "Old sports injury", "Degenerative joint disease"),
    "tendon": ("Tendinopathy", "Trigger finger", "Tennis elbow"),
    "dental": ("Periodontal disease",),
    "face": ("Photoageing",),
    "scalp": ("Androgenetic alopecia",),
    "systemic": ("Rheumatoid arthritis", "Crohn's disease", "Long COVID", "Lupus"),
    "other": ("Soft-tissue injury",),
}
SYSTEMIC_INDICATIONS = (
    "Rheumatoid arthritis",
    "Crohn's disease",
    "Long COVID",
    "Post-viral myocarditis",
)
INDICATION_BY_CATEGORY = {
    "joint": "{site} osteoarthritis",
    "tendon": "{site} tendinopathy",
    "dental": "Periodontal disease",
    "face": "Facial skin rejuvenation",
    "scalp": "Hair thinning",
    "other": "{site}",
}
# How often each kind of region is treated, relative to each other.
CATEGORY_WEIGHT = {
    "joint": 10,
    "tendon": 5,
    "dental": 3,
    "face": 6,
    "scalp": 3,
    "systemic": 4,
    "other": 1,
}
SITES_PER_VISIT = (1, 2, 3, 4)
SITES_PER_VISIT_WEIGHTS = (50, 30, 13, 7)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")
SEX_WEIGHTS = (("female", 52), ("male", 46), ("other", 1), ("unknown", 1))
VOIDED_VISIT_SHARE = 0.003
# Patients on a fixed systemic dose every month (the longest timelines).
MONTHLY_SHARE = 0.01


def _ts(moment: datetime.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}+00"


def _text(value: object | None) -> str:
    return NULL if value is None else str(value)


def _line(*values: object | None) -> str:
    return "\t".join(_text(v) for v in values) + "\n"


def _bool(value: bool) -> str:
    return "t" if value else "f"


class SyntheticClinic:
    """Generates one synthetic clinic's rows; `build()` fills `tables`."""

    def __init__(
        self,
        *,
        seed: int,
        patients: int,
        today: datetime.date,
        zone: ZoneInfo,
        sites: Sequence[SiteSpec],
        products: Sequence[ProductSpec],
        medication_class_ids: dict[str, int],
        location_ids: Sequence[int],
        clinician_ids: Sequence[int],
        id_bases: dict[str, int],
        follow_up_rules: Sequence[RuleSpec] = (),
        event_types: Sequence[EventTypeSpec] = (),
    ) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - repeatable fake data, not secrets
        self.patient_count = patients
        self.today = today
        self.zone = zone
        self.sites = list(sites)
        self.site_weights = [CATEGORY_WEIGHT.get(s.category, 1) for s in self.sites]
        # The systemic site with the largest dose is the monthly maintenance one.
        systemic = [s for s in self.sites if s.category == "systemic"]
        self.maintenance_site = max(systemic, key=lambda s: s.dose_max, default=None)
        self.products = list(products)
        self.class_ids = medication_class_ids
        self.location_ids = list(location_ids)
        self.clinician_ids = list(clinician_ids)
        self.next_id = dict(id_bases)
        self.tables = Tables()
        self.aftercare = Aftercare(
            seed=seed,
            today=today,
            zone=zone,
            rules=follow_up_rules,
            event_types=event_types,
            next_id=self._id,
            tables=self.tables,
        )
        self.lots: list[LotSpec] = []
        self.window_start = today - datetime.timedelta(days=VISIT_WINDOW_DAYS)
        # usable[product id][day offset in the window] -> lots valid that day, FEFO.
        self.usable: dict[int, list[list[LotSpec]]] = {}

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def _at(self, day: datetime.date, *, earliest: int = 8, latest: int = 17) -> datetime.datetime:
        hour = self.rng.randint(earliest, latest - 1)
        minute = self.rng.randrange(0, 60, 5)
        local = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=self.zone)
        return local.astimezone(UTC)

    # --- Stock ----------------------------------------------------------------------

    def build_lots(self) -> None:
        """Lots of each product arrive every three weeks; each keeps 9 to 14 months."""
        first_day = self.window_start - datetime.timedelta(days=LOT_LEAD_DAYS)
        last_day = self.today - datetime.timedelta(days=7)
        for product in self.products:
            received = first_day + datetime.timedelta(days=self.rng.randint(0, LOT_EVERY_DAYS))
            number = self.rng.randint(100, 900)
            while received <= last_day:
                number += 1
                self.lots.append(
                    LotSpec(
                        id=self._id("lots"),
                        product=product,
                        lot_number=f"{product.lot_prefix}{received:%y}-{number:04d}",
                        received_on=received,
                        expiry_date=received + datetime.timedelta(days=self.rng.randint(270, 420)),
                    )
                )
                received += datetime.timedelta(days=LOT_EVERY_DAYS + self.rng.randint(-5, 5))
        for product in self.products:
            own = sorted(
                (lot for lot in self.lots if lot.product is product),
                key=lambda lot: (lot.expiry_date, lot.id),
            )
            self.usable[product.id] = [
                [lot for lot in own if lot.received_on <= day <= lot.expiry_date]
                for day in (
                    self.window_start + datetime.timedelta(days=offset)
                    for offset in range(VISIT_WINDOW_DAYS)
                )
            ]

    def _lot_for(self, *, systemic: bool, day: datetime.date) -> LotSpec:
        products = [p for p in self.products if p.systemic == systemic] or self.products
        product = self.rng.choice(products)
        usable = self.usable[product.id][(day - self.window_start).days]
        # Mostly the lot that expires first, as the shelf is used.
        return self.rng.choice(usable[:3])

    def finish_lots(self) -> None:
        """Each lot was received with what its visits used plus what is still on the shelf;
        the 'received' movement carries that, so the ledger never goes below zero."""
        rng = self.rng
        for lot in self.lots:
            spare = rng.randint(5, 40)
            received = lot.vials_used + spare
            at = self._at(lot.received_on, earliest=9, latest=12)
            labelled = lot.product.labelled_per_vial
            measured = f"{labelled * rng.uniform(0.6, 1.1):.2f}" if rng.random() < 0.6 else None
            self.tables.lots.append(
                _line(
                    lot.id,
                    _ts(at),
                    _ts(at),
                    lot.lot_number,
                    lot.expiry_date,
                    lot.received_on,
                    received,
                    f"{labelled}.00",
                    measured,
                    f"NTA, certificate of analysis {lot.lot_number}" if measured else "",
                    "available",
                    "",
                    f"Freezer {rng.choice('ABC')}, shelf {rng.randint(1, 5)}",
                    0,
                    lot.product.id,
                )
            )
            self.tables.movements.append(
                _line(
                    self._id("movements"),
                    "received",
                    received,
                    "Delivery from the manufacturer",
                    _ts(at),
                    NULL,
                    lot.id,
                )
            )

    # --- Patients -------------------------------------------------------------------

    def _medications(self, *, patient_id: int, immunocompromised: bool, since: datetime.date):
        rng = self.rng
        taking = [
            (code, rng.choice(names), rng.choice(doses))
            for code, (share, names, doses) in MEDICATIONS.items()
            if code in self.class_ids and rng.random() < share
        ]
        if "immunosuppressant" in self.class_ids and (
            rng.random() < (0.6 if immunocompromised else 0.01)
        ):
            taking.append(("immunosuppressant", rng.choice(IMMUNOSUPPRESSANTS), "as prescribed"))
        created = _ts(self._at(since))
        for code, name, dose_text in taking:
            started = since - datetime.timedelta(days=rng.randint(60, 3000))
            stops_on = since + datetime.timedelta(days=rng.randint(30, 400))
            stopped = None if rng.random() >= 0.1 or stops_on >= self.today else stops_on
            self.tables.medications.append(
                _line(
                    self._id("medications"),
                    created,
                    created,
                    name,
                    dose_text,
                    started,
                    stopped,
                    NULL,
                    self.class_ids[code],
                    patient_id,
                )
            )

    def _patient(self) -> None:
        rng = self.rng
        patient_id = self._id("patients")
        sex = rng.choices([s for s, _ in SEX_WEIGHTS], weights=[w for _, w in SEX_WEIGHTS])[0]
        if sex == "female" or (sex != "male" and rng.random() < 0.5):
            first = rng.choice(FEMALE_FIRST_NAMES)
        else:
            first = rng.choice(MALE_FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        age_days = int(rng.triangular(25, 88, 58) * 365.25)
        born = self.today - datetime.timedelta(days=age_days)
        has_email = rng.random() < 0.92
        email = (
            f"{first}.{last}{rng.randint(1, 999)}@{rng.choice(EMAIL_DOMAINS)}".lower()
            if has_email
            else ""
        )
        consent = has_email and rng.random() < 0.7
        immunocompromised = rng.random() < 0.05
        cold_sores = rng.random() < 0.20
        monthly_site = (
            self.maintenance_site
            if self.maintenance_site is not None and rng.random() < MONTHLY_SHARE
            else None
        )
        if monthly_site is not None:
            # A fixed systemic dose every four weeks since some point in the two years.
            first_day = rng.randrange(0, VISIT_WINDOW_DAYS - 28)
            visit_days = [
                self.window_start + datetime.timedelta(days=day)
                for day in range(first_day, VISIT_WINDOW_DAYS, 28)
            ]
        else:
            # Several visits over the two years; the first some weeks after registering.
            visit_days = sorted(
                self.window_start + datetime.timedelta(days=rng.randrange(VISIT_WINDOW_DAYS))
                for _ in range(rng.randint(1, 12))
            )
        registered_on = max(
            self.window_start - datetime.timedelta(days=60),
            visit_days[0] - datetime.timedelta(days=rng.randint(0, 45)),
        )
        registered = _ts(self._at(registered_on))
        if monthly_site is not None:
            regions = [monthly_site]
        else:
            regions = self._regions(count=rng.choices((1, 2, 3, 4), weights=(35, 35, 20, 10))[0])
        self.tables.patients.append(
            _line(
                patient_id,
                NULL,
                "",
                registered,
                registered,
                first,
                last,
                born,
                sex,
                email,
                f"+1 555 0{rng.randint(100, 199)}",
                _bool(consent),
                registered if consent else NULL,
                _bool(immunocompromised),
                rng.choice(IMMUNOCOMPROMISED_NOTES) if immunocompromised else "",
                _bool(cold_sores),
                rng.choice(ALLERGIES) if rng.random() < 0.1 else "",
                "; ".join(
                    sorted({rng.choice(CONDITIONS_BY_CATEGORY[s.category]) for s in regions})
                ),
                rng.choice(self.location_ids) if rng.random() < 0.6 else NULL,
            )
        )
        self._medications(
            patient_id=patient_id, immunocompromised=immunocompromised, since=registered_on
        )
        for day in visit_days:
            # "You fixed my shoulder, now my knee": sometimes a new region joins.
            if rng.random() < 0.15:
                regions = [*regions, *(s for s in self._regions(count=1) if s not in regions)]
            self._visit(
                patient_id=patient_id,
                day=day,
                regions=regions,
                cold_sores=cold_sores,
                email=email,
                consent=consent,
            )

    def _regions(self, *, count: int) -> list[SiteSpec]:
        chosen: list[SiteSpec] = []
        while len(chosen) < min(count, len(self.sites)):
            site = self.rng.choices(self.sites, weights=self.site_weights)[0]
            if site not in chosen:
                chosen.append(site)
        return chosen

    # --- Visits, doses and the stock they took ----------------------------------------

    def _visit(
        self,
        *,
        patient_id: int,
        day: datetime.date,
        regions: list[SiteSpec],
        cold_sores: bool,
        email: str,
        consent: bool,
    ) -> None:
        rng = self.rng
        visit_id = self._id("visits")
        wanted = rng.choices(SITES_PER_VISIT, weights=SITES_PER_VISIT_WEIGHTS)[0]
        sites = rng.sample(regions, min(wanted, len(regions)))
        systemic = any(site.category == "systemic" for site in sites)
        lot = self._lot_for(systemic=systemic, day=day)
        clinician = rng.choice(self.clinician_ids)
        at = self._at(day)
        primary = sites[0]
        indication = (
            rng.choice(SYSTEMIC_INDICATIONS)
            if primary.category == "systemic"
            else INDICATION_BY_CATEGORY.get(primary.category, "{site}").format(site=primary.name)
        )
        voided = rng.random() < VOIDED_VISIT_SHARE
        voided_at = at + datetime.timedelta(hours=rng.randint(1, 6)) if voided else None
        prophylaxis = cold_sores and rng.random() < 0.8
        self.tables.visits.append(
            _line(
                visit_id,
                _ts(voided_at) if voided_at else NULL,
                "Recorded for the wrong patient; entered again" if voided else "",
                _ts(at),
                _ts(voided_at or at),
                _ts(at),
                indication,
                "t",
                "2025-01" if day.year >= 2025 else "2024-03",
                _bool(prophylaxis),
                "",
                clinician,
                clinician,
                rng.choice(self.location_ids),
                patient_id,
                clinician if voided else NULL,
            )
        )
        total = 0.0
        treated = []
        for site in sites:
            billions = self._dose(site)
            total += billions
            treated.append(self._dose_row(visit_id=visit_id, site=site, lot=lot, billions=billions))
        # One opened vial can serve several sites of the same visit.
        vials = math.ceil(total / lot.product.labelled_per_vial)
        movement_id = self._id("movements")
        reason = f"Opened at visit {visit_id}"
        self.tables.movements.append(
            _line(movement_id, "used", -vials, reason, _ts(at), clinician, lot.id)
        )
        returned_id = None
        if voided_at is not None:
            # A voided visit puts its vials back on the shelf.
            returned_id = self._id("movements")
            self.tables.movements.append(
                _line(
                    returned_id,
                    "returned",
                    vials,
                    "Visit voided: recorded for the wrong patient",
                    _ts(voided_at),
                    clinician,
                    lot.id,
                )
            )
        else:
            lot.vials_used += vials
            self.aftercare.visit(
                visit_id=visit_id,
                patient_id=patient_id,
                clinician_id=clinician,
                day=day,
                sites=treated,
                prophylaxis=prophylaxis,
                email=email,
                consent=consent,
            )
        self.tables.vials_opened.append(
            _line(self._id("vials_opened"), vials, lot.id, movement_id, returned_id, visit_id)
        )

    def _dose(self, site: SiteSpec) -> float:
        # Half-billion steps inside the site's range.
        steps = int((site.dose_max - site.dose_min) * 2)
        return site.dose_min + self.rng.randint(0, steps) / 2

    def _dose_row(
        self, *, visit_id: int, site: SiteSpec, lot: LotSpec, billions: float
    ) -> TreatedSite:
        rng = self.rng
        if site.laterality_applies:
            laterality = rng.choices(("left", "right", "bilateral"), weights=(40, 45, 15))[0]
        else:
            laterality = "na"
        if site.route == "intravenous":
            volume: str | None = "10.00"
        else:
            volume = f"{rng.choice((0.5, 1.0, 1.5, 2.0, 3.0)):.2f}" if rng.random() < 0.8 else None
        pain = rng.randint(2, 9) if site.category in ("joint", "tendon", "dental") else None
        dose_id = self._id("doses")
        self.tables.doses.append(
            _line(
                dose_id,
                laterality,
                f"{billions:.2f}",
                site.route,
                volume,
                pain,
                lot.id,
                site.id,
                visit_id,
            )
        )
        return TreatedSite(dose_id=dose_id, category=site.category, baseline_pain=pain)

    def build(self) -> Tables:
        self.build_lots()
        for _ in range(self.patient_count):
            self._patient()
        self.finish_lots()
        return self.tables
