"""Importing a clinic's past visits with doses: one row per dose; the rows of one
patient at one visit date (and time) form one visit, recorded by
treatments.services.past_visits_record, many visits at once, as past records (no stock
taken, warnings kept and acknowledged as imported, no follow-up whose day has passed).
A lot the clinic never had in ExoTrack becomes a history-only lot. Each dose is
remembered under its key, so a second upload of the same file adds nothing."""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils import timezone

from apps.accounts.models import User
from apps.clinic.models import Location
from apps.clinic.selectors import active_locations
from apps.imports.fields import ImportField
from apps.imports.models import ImportedDose, ImportedPatient, PatientImport
from apps.imports.parsing import Table
from apps.inventory.models import Lot, Product
from apps.inventory.services import lot_history_record
from apps.patients.models import Patient
from apps.treatments.models import Dose, Laterality, TreatmentSite
from apps.treatments.selectors import clinicians, treatment_sites
from apps.treatments.services import DoseInput, VisitEntry, past_visits_record

DEFAULT_INDICATION = "Imported history"
# Visits recorded together (past_visits_record): each such batch reads once for all its
# patients and inserts its rows in one statement per table; the page's progress moves
# after each.
VISITS_AT_ONCE = 500
# A visit written without a time is put at midday, the clinic's time: it stays on its
# day in the clinic's calendar and is never "in the future" on the day itself before noon
# by more than the morning (a time column avoids the guess).
_MIDDAY = datetime.time(12, 0)

VISIT_FIELDS = (
    ImportField(
        "external_id",
        "Your patient id",
        False,
        ("externalid", "patientid", "chartnumber", "chartno", "recordnumber", "id"),
    ),
    ImportField("first_name", "First name", False, ("firstname", "givenname", "forename")),
    ImportField("last_name", "Last name", False, ("lastname", "surname", "familyname")),
    ImportField("date_of_birth", "Date of birth", False, ("dateofbirth", "dob", "birthdate")),
    ImportField(
        "visit_date", "Visit date", True, ("visitdate", "date", "treatedon", "dateofvisit")
    ),
    ImportField("visit_time", "Visit time", False, ("visittime", "time")),
    ImportField("site", "Site", True, ("site", "treatmentsite", "area", "bodysite")),
    ImportField("side", "Side", False, ("side", "laterality")),
    ImportField("product", "Product", True, ("product", "productname", "gtin")),
    ImportField("lot_number", "Lot number", True, ("lotnumber", "lot", "batch", "lotno")),
    ImportField("lot_expiry", "Lot expiry date", False, ("lotexpirydate", "expiry", "expires")),
    ImportField("billions", "Billions", True, ("billions", "dose", "billionsofparticles", "bn")),
    ImportField("clinician", "Clinician", False, ("clinician", "doctor", "treatedby", "staff")),
    ImportField("location", "Location", False, ("location", "clinic", "room")),
    ImportField("indication", "Indication", False, ("indication", "reason", "treatedfor")),
)

_SIDES = {
    "l": Laterality.LEFT,
    "left": Laterality.LEFT,
    "r": Laterality.RIGHT,
    "right": Laterality.RIGHT,
    "b": Laterality.BILATERAL,
    "both": Laterality.BILATERAL,
    "bilateral": Laterality.BILATERAL,
    "": Laterality.NOT_APPLICABLE,
    "na": Laterality.NOT_APPLICABLE,
    "n/a": Laterality.NOT_APPLICABLE,
    "not applicable": Laterality.NOT_APPLICABLE,
}


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


@dataclass
class _Catalogue:
    """Everything rows are matched against, read once for the whole file."""

    sites: dict[str, TreatmentSite]
    products: dict[str, Product]
    clinicians: dict[str, User]
    locations: dict[str, Location]
    by_external_id: dict[str, Patient]
    by_person: dict[tuple[str, str, datetime.date], list[Patient]]
    imported_keys: set[str]
    lots: dict[tuple[int, str], Lot] = field(default_factory=dict)

    @classmethod
    def read(cls, rows: list[dict[str, str]], dates: list[datetime.date | None]) -> "_Catalogue":
        products: dict[str, Product] = {}
        for product in Product.objects.select_related("manufacturer"):
            products.setdefault(_key(product.name), product)
            if product.gtin:
                products.setdefault(_key(product.gtin), product)
        staff: dict[str, User] = {}
        for user in clinicians():
            staff.setdefault(_key(user.username), user)
            staff.setdefault(_key(user.get_full_name()), user)
        ids = {row["external_id"] for row in rows if row.get("external_id")}
        by_person: dict[tuple[str, str, datetime.date], list[Patient]] = {}
        people = Patient.objects.filter(
            date_of_birth__in={born for born in dates if born}, voided_at__isnull=True
        ).annotate(first=Lower("first_name"), last=Lower("last_name"))
        for patient in people:
            person = (_key(patient.first), _key(patient.last), patient.date_of_birth)
            by_person.setdefault(person, []).append(patient)
        return cls(
            sites={_key(site.name): site for site in treatment_sites()},
            products=products,
            clinicians=staff,
            locations={_key(location.name): location for location in active_locations()},
            by_external_id={
                imported.external_id: imported.patient
                for imported in ImportedPatient.objects.filter(external_id__in=ids)
                .select_related("patient")
                .filter(patient__voided_at__isnull=True)
            },
            by_person=by_person,
            imported_keys=set(ImportedDose.objects.values_list("key", flat=True)),
        )


@dataclass
class _DoseRow:
    row: int
    patient: Patient
    visited_at: datetime.datetime
    site: TreatmentSite
    side: str
    product: Product
    lot_number: str
    lot_expiry: datetime.date | None
    billions: Decimal
    clinician: User
    location: Location
    indication: str

    @property
    def visit(self) -> tuple[int, datetime.datetime]:
        return (self.patient.pk, self.visited_at)


def _visit_time(
    cells: dict[str, str], date_format: str, parse_date: Callable[[str, str], datetime.date]
) -> datetime.datetime:
    day = parse_date(cells["visit_date"], date_format)
    at = _MIDDAY
    if cells.get("visit_time"):
        try:
            at = datetime.time.fromisoformat(cells["visit_time"])
        except ValueError:
            raise ValidationError(
                {"visit_time": f"“{cells['visit_time']}” is not a time like 14:30."}
            ) from None
    return timezone.make_aware(datetime.datetime.combine(day, at))


def _patient(cells: dict[str, str], catalogue: _Catalogue, born: datetime.date | None) -> Patient:
    if cells.get("external_id"):
        patient = catalogue.by_external_id.get(cells["external_id"])
        if patient is None:
            raise ValidationError(
                {"external_id": f"No patient was imported with the id “{cells['external_id']}”."}
            )
        return patient
    if not (cells.get("first_name") and cells.get("last_name") and born):
        raise ValidationError(
            {"external_id": "Give the patient's id, or their first name, last name and birth date."}
        )
    matches = catalogue.by_person.get((_key(cells["first_name"]), _key(cells["last_name"]), born))
    if not matches:
        raise ValidationError({"last_name": "No patient with this name and date of birth."})
    if len(matches) > 1:
        mrns = ", ".join(p.mrn for p in matches)
        raise ValidationError({"last_name": f"More than one patient has this name ({mrns})."})
    return matches[0]


def _dose_row(
    row: int,
    cells: dict[str, str],
    *,
    patient_import: PatientImport,
    catalogue: _Catalogue,
    born: datetime.date | None,
    parse_date: Callable[[str, str], datetime.date],
) -> tuple[_DoseRow | None, dict[str | None, str]]:
    """The row checked against the catalogue, or its problems by our field name."""
    problems: dict[str | None, str] = {
        name: "This cell holds a spreadsheet formula; paste its value instead."
        for name, text in cells.items()
        if text.startswith("=")
    }
    found: dict[str, Any] = {}

    def take(name: str, read: Callable[[], Any]) -> None:
        if name in problems:
            return
        try:
            found[name] = read()
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                problems.setdefault(None if key == "__all__" else key, messages[0])

    def lookup(name: str, table: dict, what: str) -> Callable[[], Any]:
        def read() -> Any:
            if not cells.get(name):
                raise ValidationError({name: f"The {what} is missing."})
            if (value := table.get(_key(cells[name]))) is None:
                raise ValidationError({name: f"“{cells[name]}” is not a {what} we know."})
            return value

        return read

    def default(name: str, table: dict, what: str, chosen: Any) -> Callable[[], Any]:
        if cells.get(name) or chosen is None:
            return lookup(name, table, what)
        return lambda: chosen

    take("patient", lambda: _patient(cells, catalogue, born))
    take("visit_date", lambda: _visit_time(cells, patient_import.date_format, parse_date))
    take("site", lookup("site", catalogue.sites, "treatment site"))
    take("product", lookup("product", catalogue.products, "product (name or GTIN)"))
    defaults = patient_import.defaults
    staff = {user.pk: user for user in catalogue.clinicians.values()}
    places = {location.pk: location for location in catalogue.locations.values()}
    take(
        "clinician",
        default(
            "clinician", catalogue.clinicians, "clinician", staff.get(defaults.get("clinician"))
        ),
    )
    take(
        "location",
        default("location", catalogue.locations, "location", places.get(defaults.get("location"))),
    )
    side = _SIDES.get(_key(cells.get("side", "")))
    if side is None:
        problems["side"] = f"“{cells['side']}” is not a side (left, right, both)."
    if not cells.get("lot_number"):
        problems.setdefault("lot_number", "The lot number is missing.")
    if "billions" not in problems:
        try:
            found["billions"] = Decimal(cells.get("billions", "").replace(",", "."))
        except InvalidOperation:
            problems["billions"] = f"“{cells.get('billions', '')}” is not a number of billions."
    if cells.get("lot_expiry"):
        take("lot_expiry", lambda: parse_date(cells["lot_expiry"], patient_import.date_format))
    if problems:
        return None, problems
    return _DoseRow(
        row=row,
        patient=found["patient"],
        visited_at=found["visit_date"],
        site=found["site"],
        side=side or Laterality.NOT_APPLICABLE,
        product=found["product"],
        lot_number=cells["lot_number"],
        lot_expiry=found.get("lot_expiry"),
        billions=found["billions"],
        clinician=found["clinician"],
        location=found["location"],
        indication=cells.get("indication") or DEFAULT_INDICATION,
    ), {}


def _lot(dose: _DoseRow, all_rows: list[_DoseRow], catalogue: _Catalogue, by: User) -> Lot:
    """The row's lot, found or recorded history-only from what all the file's rows of it
    tell (first and last day given, largest dose)."""
    key = (dose.product.pk, _key(dose.lot_number))
    if key not in catalogue.lots:
        same = [r for r in all_rows if (r.product.pk, _key(r.lot_number)) == key]
        days = [timezone.localdate(r.visited_at) for r in same]
        catalogue.lots[key] = lot_history_record(
            by=by,
            product=dose.product,
            lot_number=dose.lot_number,
            first_given_on=min(days),
            last_given_on=max(days),
            # A dose of no billions is refused with the visit; the lot goes with it.
            largest_dose_billions=max(
                (r.billions for r in same if r.billions > 0), default=Decimal(1)
            ),
            expiry_date=dose.lot_expiry,
        )
    return catalogue.lots[key]


def _dose_key(dose: _DoseRow, lot: Lot) -> str:
    return f"{dose.patient.pk}|{dose.visited_at.isoformat()}|{dose.site.pk}|{dose.side}|{lot.pk}"


def visit_walk(
    patient_import: PatientImport,
    table: Table,
    progress: Callable[[int, int], None],
    *,
    parse_date: Callable[[str, str], datetime.date],
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Record every visit of the file (inside the caller's transaction). Returns the
    problems and the counts of new visits, new doses and doses already here."""
    columns = {name: header for name, header in patient_import.mapping.items() if header}
    index = {header: position for position, header in enumerate(table.headers)}
    problems: list[dict[str, Any]] = []

    def problem(row: int, name: str | None, message: str) -> None:
        column = columns.get(name or "", "")
        if name in ("patient", "visit_date") and not column:
            column = columns.get("visit_date" if name == "visit_date" else "external_id", "")
        problems.append({"row": row, "column": column, "message": message})

    cells_by_row = [
        (row, {name: values[index[header]] for name, header in columns.items()})
        for row, values in table.rows
    ]
    births: list[datetime.date | None] = []
    for _, cells in cells_by_row:
        try:
            births.append(parse_date(cells.get("date_of_birth", ""), patient_import.date_format))
        except ValidationError:
            births.append(None)
    catalogue = _Catalogue.read([cells for _, cells in cells_by_row], births)
    doses: list[_DoseRow] = []
    for (row, cells), born in zip(cells_by_row, births, strict=True):
        if cells.get("date_of_birth") and born is None and not cells.get("external_id"):
            problem(row, "date_of_birth", f"“{cells['date_of_birth']}” is not a date.")
            continue
        dose, row_problems = _dose_row(
            row,
            cells,
            patient_import=patient_import,
            catalogue=catalogue,
            born=born,
            parse_date=parse_date,
        )
        for name, message in row_problems.items():
            problem(row, name, message)
        if dose is not None:
            doses.append(dose)

    visits: dict[tuple[int, datetime.datetime], list[_DoseRow]] = {}
    for dose in doses:
        visits.setdefault(dose.visit, []).append(dose)
    counts = {"new_visits": 0, "new_doses": 0, "already_here": 0}
    recorded: list[_RecordedVisit] = []
    waiting: list[_ReadyVisit] = []
    done = 0
    for rows in visits.values():
        done += len(rows)
        ready = _visit_ready(rows, doses, catalogue, patient_import, problem, counts)
        if ready is not None:
            waiting.append(ready)
        if len(waiting) == VISITS_AT_ONCE:
            _record_visits(waiting, catalogue, patient_import, problem, counts, recorded)
            waiting = []
            progress(done, len(problems))
    _record_visits(waiting, catalogue, patient_import, problem, counts, recorded)
    _remember_doses(recorded, patient_import)
    return problems, counts


# A visit just recorded, with each of its rows' lot and dose key.
_RecordedVisit = tuple[int, list[tuple[_DoseRow, Lot, str]]]


def _remember_doses(recorded: list[_RecordedVisit], patient_import: PatientImport) -> None:
    """Each new dose kept under its key, so a second upload adds nothing. The doses the
    visits wrote are read back a thousand visits at a time, not a visit at a time."""
    for first in range(0, len(recorded), 1000):
        chunk = recorded[first : first + 1000]
        written = {
            (dose.visit_id, dose.site_id, dose.laterality, dose.lot_id): dose.pk
            for dose in Dose.objects.filter(visit_id__in=[visit for visit, _ in chunk]).only(
                "visit_id", "site_id", "laterality", "lot_id"
            )
        }
        ImportedDose.objects.bulk_create(
            ImportedDose(
                key=key,
                dose_id=written[(visit, row.site.pk, _recorded_side(row), lot.pk)],
                patient_import=patient_import,
            )
            for visit, doses in chunk
            for row, lot, key in doses
        )


def _recorded_side(row: _DoseRow) -> str:
    # A visit keeps no side for a site where sides do not apply.
    return row.side if row.site.laterality_applies else Laterality.NOT_APPLICABLE


# A visit whose rows passed the file's own checks, with each row's lot and dose key.
_ReadyVisit = tuple[list[_DoseRow], list[Lot], list[str]]


def _visit_ready(
    rows: list[_DoseRow],
    all_rows: list[_DoseRow],
    catalogue: _Catalogue,
    patient_import: PatientImport,
    problem: Callable[[int, str | None, str], None],
    counts: dict[str, int],
) -> _ReadyVisit | None:
    """The visit's lots (found or recorded history-only) and dose keys, or None when it
    is to be left out: already imported (counted), or a row problem (noted)."""
    by = patient_import.uploaded_by
    try:
        lots = [_lot(dose, all_rows, catalogue, by) for dose in rows]
    except ValidationError as error:
        for message in error.messages:
            problem(rows[0].row, "lot_number", message)
        return None
    keys = [_dose_key(dose, lot) for dose, lot in zip(rows, lots, strict=True)]
    seen: dict[str, int] = {}
    for dose, key in zip(rows, keys, strict=True):
        if key in seen:
            problem(dose.row, None, f"The same dose as row {seen[key]}; remove one of the two.")
        seen.setdefault(key, dose.row)
    if len(seen) < len(rows):
        return None
    here = [key in catalogue.imported_keys for key in keys]
    if all(here):
        counts["already_here"] += len(rows)
        return None
    if any(here):
        for dose, known in zip(rows, here, strict=True):
            if not known:
                problem(
                    dose.row,
                    None,
                    "This visit was imported before without this dose; "
                    "add the dose to the visit by hand.",
                )
        return None
    return rows, lots, keys


def _past_visit(rows: list[_DoseRow], lots: list[Lot]) -> VisitEntry:
    first = rows[0]
    return VisitEntry(
        patient=first.patient,
        visited_at=first.visited_at,
        location=first.location,
        clinician=first.clinician,
        indication=first.indication,
        doses=[
            DoseInput(site=dose.site, lot_id=lot.pk, billions=dose.billions, laterality=dose.side)
            for dose, lot in zip(rows, lots, strict=True)
        ],
    )


def _refusal_problems(
    rows: list[_DoseRow],
    error: ValidationError,
    problem: Callable[[int, str | None, str], None],
) -> None:
    """A refused visit's errors on its rows: a dose's on that dose's row, the visit's on
    every row of it, each under the file's column."""
    for name, messages in error.message_dict.items():
        dose_field = re.fullmatch(r"doses\.(\d+)\.(\w+)", name)
        if dose_field:
            target = rows[int(dose_field.group(1))]
            column = {"laterality": "side", "lot": "lot_number"}.get(
                dose_field.group(2), dose_field.group(2)
            )
            for message in messages:
                problem(target.row, column, message)
        else:
            column = {"visited_at": "visit_date", "patient": "patient"}.get(name, name)
            for dose in rows:
                for message in messages:
                    problem(dose.row, column if column != "__all__" else None, message)


def _record_visits(
    ready: list[_ReadyVisit],
    catalogue: _Catalogue,
    patient_import: PatientImport,
    problem: Callable[[int, str | None, str], None],
    counts: dict[str, int],
    recorded: list[_RecordedVisit],
) -> None:
    if not ready:
        return
    results = past_visits_record(
        by=patient_import.uploaded_by,
        visits=[_past_visit(rows, lots) for rows, lots, _ in ready],
        # The treatment happened before ExoTrack: a warning is kept on the record for
        # whoever reads it, acknowledged by the manager who imported it, as no
        # clinician can decide the dose again.
        reason=f"Imported from {patient_import.file_name} (past record)",
    )
    for (rows, lots, keys), result in zip(ready, results, strict=True):
        if isinstance(result, ValidationError):
            _refusal_problems(rows, result, problem)
            continue
        counts["new_visits"] += 1
        counts["new_doses"] += len(rows)
        recorded.append((result.pk, list(zip(rows, lots, keys, strict=True))))
        catalogue.imported_keys.update(keys)


def visit_defaults_check(defaults: dict[str, Any]) -> dict[str, str]:
    """Problems with the clinician and location chosen for rows naming none."""
    errors = {}
    clinician = defaults.get("clinician")
    if clinician and not clinicians().filter(pk=clinician).exists():
        errors["default_clinician"] = "Choose one of the clinic's clinicians."
    location = defaults.get("location")
    if location and not active_locations().filter(pk=location).exists():
        errors["default_location"] = "Choose one of the clinic's locations."
    return errors


def default_location() -> Location | None:
    """The location rows without one go to unless the manager picks another: the only
    (or first) location in use."""
    return active_locations().first()
