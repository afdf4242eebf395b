"""Writes of visits, doses and the site catalogue. Each runs in one transaction."""

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from apps.accounts.models import User
from apps.clinic.models import Location
from apps.clinic.selectors import clinic_profile
from apps.consents.selectors import categories_with_forms, patients_with_signed_consents
from apps.consents.services import visit_consent_gap, visit_consent_unrecorded
from apps.inventory.models import Lot
from apps.inventory.services import stock_return, stock_use
from apps.patients.models import Patient
from apps.treatments.models import (
    Dose,
    Laterality,
    TreatmentSite,
    VialsOpened,
    Visit,
    VisitWarning,
)
from apps.treatments.selectors import billions_by_visit
from apps.treatments.signals import past_visits_recorded, visit_recorded, visit_voided
from exotrack.history import recorded_by
from exotrack.voiding import void_record

ACKNOWLEDGE_PERMISSION = "treatments.add_visitwarning"
VOID_PERMISSION = "treatments.void_visit"
CUMULATIVE_WINDOW = datetime.timedelta(days=30)


@dataclass(frozen=True)
class DoseInput:
    """One treated site as entered: the service checks it against the catalogue and stock."""

    site: TreatmentSite
    lot_id: int
    billions: Decimal
    laterality: str = Laterality.NOT_APPLICABLE
    route: str = ""  # blank: the site's default route
    volume_ml: Decimal | None = None
    baseline_pain: int | None = None


@dataclass(frozen=True)
class PendingWarning:
    code: str
    message: str


class WarningsNeedAcknowledgement(Exception):
    """The visit is sound but carries warnings a clinician has not acknowledged with a
    reason. Nothing was saved; resubmit with a reason per code."""

    def __init__(self, warnings: list[PendingWarning], *, may_acknowledge: bool) -> None:
        self.warnings = warnings
        self.may_acknowledge = may_acknowledge
        codes = ", ".join(w.code for w in warnings)
        super().__init__(f"Warnings to acknowledge: {codes}")


def _dose_errors(index: int, dose: DoseInput) -> dict[str, str | ValidationError]:
    prefix = f"doses.{index}."
    errors: dict[str, str | ValidationError] = {}
    if dose.billions is None or dose.billions <= 0:
        errors[prefix + "billions"] = "A dose is more than zero billion particles."
    if not dose.site.active:
        errors[prefix + "site"] = ValidationError(
            f"{dose.site.name} is no longer in the site catalogue.", code="site_retired"
        )
    if dose.site.laterality_applies and dose.laterality == Laterality.NOT_APPLICABLE:
        errors[prefix + "laterality"] = ValidationError(
            f"Say which side of the {dose.site.name.lower()}.", code="side_required"
        )
    if dose.volume_ml is not None and dose.volume_ml <= 0:
        errors[prefix + "volume_ml"] = "A volume is more than zero mL."
    if dose.baseline_pain is not None and not 0 <= dose.baseline_pain <= 10:
        errors[prefix + "baseline_pain"] = "Pain is scored from 0 to 10."
    return errors


def max_sites_per_visit() -> int:
    """How many sites one visit may treat (TREATMENT_MAX_SITES_PER_VISIT)."""
    return settings.TREATMENT_MAX_SITES_PER_VISIT


def too_many_sites_error() -> ValidationError:
    limit = max_sites_per_visit()
    return ValidationError(
        f"A visit treats at most {limit} sites; record the others as another visit.",
        code="too_many_sites",
    )


@dataclass(frozen=True)
class VisitEntry:
    """A visit as entered: on the visit form or the API (visit_record), or read from an
    import's rows (past_visits_record)."""

    patient: Patient
    visited_at: datetime.datetime
    location: Location
    clinician: User
    indication: str
    doses: list[DoseInput]
    consent_recorded: bool = False
    consent_form_version: str = ""
    cold_sore_prophylaxis: bool = False
    notes: str = ""


def _visit_errors(entry: VisitEntry) -> dict[str, str | ValidationError]:
    """Everything wrong with a visit as entered, before anything is read or written."""
    doses, patient, visited_at = entry.doses, entry.patient, entry.visited_at
    if len(doses) > max_sites_per_visit():
        # Alone: every dose row would cost lookups.
        return {"doses": too_many_sites_error()}
    errors: dict[str, str | ValidationError] = {}
    if patient.is_voided:
        errors["patient"] = ValidationError("This patient record is voided.", code="patient_voided")
    if visited_at > timezone.now():
        errors["visited_at"] = ValidationError("A visit cannot be in the future.", code="in_future")
    elif timezone.localdate(visited_at) < patient.date_of_birth:
        errors["visited_at"] = ValidationError(
            f"The visit is before the patient's birth ({patient.date_of_birth:%Y-%m-%d}).",
            code="before_birth",
        )
    if not entry.location.active:
        errors["location"] = ValidationError(
            f"{entry.location.name} is no longer in use.", code="location_retired"
        )
    if not entry.indication.strip():
        errors["indication"] = "Say what is treated."
    if entry.consent_recorded and not entry.consent_form_version.strip():
        errors["consent_form_version"] = "Give the version of the consent form signed."
    if not doses:
        errors["doses"] = "Record at least one dose."
    for index, dose in enumerate(doses):
        errors.update(_dose_errors(index, dose))
    return errors


def vials_needed(*, billions: Decimal, labelled_billions_per_vial: Decimal) -> int:
    """Vials opened for a lot: its billions at this visit over the labelled count per vial,
    rounded up (a vial once opened is used up)."""
    return math.ceil(Decimal(billions) / Decimal(labelled_billions_per_vial))


def _bn(value: Decimal) -> str:
    """8.00 -> "8", 2.50 -> "2.5": billions as staff write them."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _site_label(dose: DoseInput) -> str:
    if dose.site.laterality_applies and dose.laterality != Laterality.NOT_APPLICABLE:
        return f"{dose.site.name} ({Laterality(dose.laterality).label.lower()})"
    return dose.site.name


@dataclass(frozen=True)
class _Readings:
    """What a visit's warnings read from the database: for one visit, or for many at
    once (past_visits_record) by one read of each kind for all of them."""

    earlier_billions: Decimal  # in the 30 days up to the visit, the visit not counted
    consent_gap: str | None  # visit_consent_gap
    consent_unrecorded: str | None  # visit_consent_unrecorded, when no consent is recorded


def _billions_before(
    visits: list[tuple[datetime.datetime, Decimal]], at: datetime.datetime
) -> Decimal:
    """Billions of the patient's other visits (time, billions) in the 30 days up to `at`."""
    start = at - CUMULATIVE_WINDOW
    return sum((billions for when, billions in visits if start <= when <= at), Decimal(0))


def _warnings(
    *,
    patient: Patient,
    cold_sore_prophylaxis: bool,
    doses: list[DoseInput],
    readings: _Readings,
) -> list[PendingWarning]:
    """What a clinician must see before this visit is recorded (one entry per kind)."""
    warnings = []
    outside = [
        f"{_site_label(d)}: {_bn(d.billions)} bn is outside its usual "
        f"{_bn(d.site.dose_min_billions)}-{_bn(d.site.dose_max_billions)} bn"
        for d in doses
        if d.billions < d.site.dose_min_billions or d.billions > d.site.dose_max_billions
    ]
    if outside:
        warnings.append(
            PendingWarning(VisitWarning.Code.DOSE_OUT_OF_RANGE, "; ".join(outside) + ".")
        )
    threshold = Decimal(settings.TREATMENT_CUMULATIVE_DOSE_WARNING_BILLIONS)
    total = readings.earlier_billions + sum((d.billions for d in doses), Decimal(0))
    if total > threshold:
        warnings.append(
            PendingWarning(
                VisitWarning.Code.CUMULATIVE_DOSE_HIGH,
                f"{_bn(total)} bn in the 30 days up to this visit (this visit included), "
                f"above the clinic's {_bn(threshold)} bn.",
            )
        )
    if patient.immunocompromised:
        note = f" ({patient.immunocompromised_note})" if patient.immunocompromised_note else ""
        warnings.append(
            PendingWarning(
                VisitWarning.Code.IMMUNOCOMPROMISED, f"The patient is immunocompromised{note}."
            )
        )
    if patient.cold_sore_history and not cold_sore_prophylaxis:
        warnings.append(
            PendingWarning(
                VisitWarning.Code.COLD_SORE_NO_PROPHYLAXIS,
                "The patient has a cold-sore history and no prophylaxis is recorded.",
            )
        )
    if readings.consent_gap:
        warnings.append(PendingWarning(VisitWarning.Code.NO_SIGNED_CONSENT, readings.consent_gap))
    # An investigational product given with no consent on record is a clinician's call,
    # never a silent default: the backstop behind the signed consents.
    if readings.consent_unrecorded:
        warnings.append(
            PendingWarning(VisitWarning.Code.NO_CONSENT_RECORDED, readings.consent_unrecorded)
        )
    return warnings


def visit_warnings(
    *,
    patient: Patient,
    visited_at: datetime.datetime,
    cold_sore_prophylaxis: bool,
    doses: list[DoseInput],
    consent_recorded: bool = True,
) -> list[PendingWarning]:
    """What a clinician must see before this visit is recorded (one entry per kind)."""
    categories = {d.site.category for d in doses}
    earlier = billions_by_visit(
        patient_ids={patient.pk}, start=visited_at - CUMULATIVE_WINDOW, end=visited_at
    )
    readings = _Readings(
        earlier_billions=_billions_before([(at, bn) for _, at, bn in earlier], visited_at),
        consent_gap=visit_consent_gap(
            patient=patient, site_categories=categories, on=timezone.localdate(visited_at)
        ),
        consent_unrecorded=None
        if consent_recorded
        else visit_consent_unrecorded(site_categories=categories),
    )
    return _warnings(
        patient=patient,
        cold_sore_prophylaxis=cold_sore_prophylaxis,
        doses=doses,
        readings=readings,
    )


def _take_stock(
    *, visit: Visit, doses: list[DoseInput], by: User
) -> tuple[dict[int, VialsOpened], dict[str, ValidationError]]:
    """Lock the lots (sorted by id, so two visits sharing lots never wait on each other
    in opposite orders) and take the opened vials. Returns unsaved VialsOpened rows and
    field errors naming the first dose of each lot that could not be served."""
    first_row: dict[int, int] = {}
    billions: dict[int, Decimal] = defaultdict(Decimal)
    for index, dose in enumerate(doses):
        first_row.setdefault(dose.lot_id, index)
        billions[dose.lot_id] += dose.billions
    lots = {
        lot.pk: lot
        for lot in Lot.objects.select_for_update().filter(pk__in=billions).order_by("id")
    }
    opened: dict[int, VialsOpened] = {}
    errors: dict[str, ValidationError] = {}
    for lot_id in sorted(billions):
        field = f"doses.{first_row[lot_id]}.lot"
        lot = lots.get(lot_id)
        if lot is None:
            errors[field] = ValidationError("No such lot.", code="no_lot")
            continue
        vials = vials_needed(
            billions=billions[lot_id], labelled_billions_per_vial=lot.labelled_billions_per_vial
        )
        try:
            with transaction.atomic():
                movement = stock_use(
                    lot_id=lot_id,
                    vials=vials,
                    on=timezone.localdate(visit.visited_at),
                    by=by,
                    reason=f"Visit {visit.pk} for patient {visit.patient.mrn}",
                )
        except ValidationError as error:
            errors[field] = error
            continue
        opened[lot_id] = VialsOpened(visit=visit, lot=lot, vials=vials, movement=movement)
    return opened, errors


def _visit_row(
    entry: VisitEntry,
    *,
    by: User,
    patient: Patient,
    awaiting_sign_off: bool,
    chart_review: bool = False,
) -> Visit:
    """The visit as saved (not saved yet), for `patient` as locked."""
    return Visit(
        patient=patient,
        visited_at=entry.visited_at,
        location=entry.location,
        clinician=entry.clinician,
        indication=entry.indication.strip(),
        consent_recorded=entry.consent_recorded,
        consent_form_version=entry.consent_form_version.strip(),
        cold_sore_prophylaxis=entry.cold_sore_prophylaxis,
        notes=entry.notes,
        created_by=by,
        sign_off=Visit.SignOff.AWAITING if awaiting_sign_off else Visit.SignOff.NOT_NEEDED,
        chart_review=chart_review,
    )


def _dose_rows(visit: Visit, doses: list[DoseInput]) -> list[Dose]:
    """The visit's doses as saved: no side kept where sides do not apply, the site's
    route unless another is given."""
    return [
        Dose(
            visit=visit,
            site=dose.site,
            laterality=dose.laterality
            if dose.site.laterality_applies
            else Laterality.NOT_APPLICABLE,
            lot_id=dose.lot_id,
            billions=dose.billions,
            route=dose.route or dose.site.default_route,
            volume_ml=dose.volume_ml,
            baseline_pain=dose.baseline_pain,
        )
        for dose in doses
    ]


def _warning_rows(
    visit: Visit,
    warnings: list[PendingWarning],
    *,
    reasons: dict[str, str],
    by: User,
    now: datetime.datetime,
) -> list[VisitWarning]:
    """The visit's warnings as saved: acknowledged by `by` where a reason is given, left
    for sign-off otherwise."""
    return [
        VisitWarning(
            visit=visit,
            code=w.code,
            message=w.message,
            reason=reasons[w.code],
            acknowledged_by=by,
            acknowledged_at=now,
        )
        if reasons.get(w.code)
        else VisitWarning(visit=visit, code=w.code, message=w.message)
        for w in warnings
    ]


def visit_record(
    *,
    by: User,
    patient: Patient,
    visited_at: datetime.datetime,
    location: Location,
    clinician: User,
    indication: str,
    doses: list[DoseInput],
    consent_recorded: bool = False,
    consent_form_version: str = "",
    cold_sore_prophylaxis: bool = False,
    notes: str = "",
    acknowledgements: dict[str, str] | None = None,
    save_for_sign_off: bool = False,
) -> Visit:
    """Record a visit with its doses and take the opened vials from stock, all or nothing.

    Raises ValidationError (field errors; `doses.<n>.<field>` for a dose row) or
    WarningsNeedAcknowledgement when a warning has no reason from a clinician. Staff who
    may not acknowledge warnings (nurses) may instead save the visit for a clinician's
    sign-off (`save_for_sign_off`): stock, follow-ups and flags go ahead as usual.

    A treatment given before the clinic used ExoTrack is recorded by past_visits_record."""
    entry = VisitEntry(
        patient=patient,
        visited_at=visited_at,
        location=location,
        clinician=clinician,
        indication=indication,
        doses=doses,
        consent_recorded=consent_recorded,
        consent_form_version=consent_form_version,
        cold_sore_prophylaxis=cold_sore_prophylaxis,
        notes=notes,
    )
    errors = _visit_errors(entry)
    if errors:
        raise ValidationError(errors)
    may_acknowledge = by.has_perm(ACKNOWLEDGE_PERMISSION)
    reasons = {
        code: reason.strip()
        for code, reason in (acknowledgements or {}).items()
        if reason and may_acknowledge
    }
    with transaction.atomic(), recorded_by(by):
        # The patient row first, then lots by id: one visit at a time per patient, so the
        # 30-day total cannot miss a visit being recorded at the same moment.
        patient = Patient.objects.select_for_update().get(pk=patient.pk)
        # Read before the visit is written (its doses are not counted yet either way), so
        # its sign-off state is saved with it; stock problems are still reported first.
        warnings = visit_warnings(
            patient=patient,
            visited_at=visited_at,
            cold_sore_prophylaxis=cold_sore_prophylaxis,
            doses=doses,
            consent_recorded=consent_recorded,
        )
        missing = [w for w in warnings if not reasons.get(w.code)]
        chart_review = not may_acknowledge and chart_review_picked(
            patient_id=patient.pk,
            visited_at=visited_at,
            percent=clinic_profile().chart_review_percent,
        )
        visit = _visit_row(
            entry,
            by=by,
            patient=patient,
            awaiting_sign_off=bool(missing) or chart_review,
            chart_review=chart_review,
        )
        visit.save(force_insert=True)
        opened, stock_errors = _take_stock(visit=visit, doses=doses, by=by)
        if stock_errors:
            raise ValidationError(stock_errors)
        # A clinician gives every reason now; a nurse's visit may wait for one.
        if missing and (may_acknowledge or not save_for_sign_off):
            raise WarningsNeedAcknowledgement(missing, may_acknowledge=may_acknowledge)
        Dose.objects.bulk_create(_dose_rows(visit, doses))
        VialsOpened.objects.bulk_create(opened.values())
        VisitWarning.objects.bulk_create(
            _warning_rows(visit, warnings, reasons=reasons, by=by, now=timezone.now())
        )
        visit_recorded.send(sender=Visit, visit=visit, by=by)
        return visit


def _past_readings(visits: list[VisitEntry], patients: dict[int, Patient]) -> list[_Readings]:
    """The warnings' readings of many visits by one read of each kind for all of them:
    the patients' visits in the 30 days before each (the other visits given here
    counted as if recorded already), the categories with a consent form, and who signed
    any consent."""
    earliest = min(past.visited_at for past in visits) - CUMULATIVE_WINDOW
    latest = max(past.visited_at for past in visits)
    days: dict[int, list[tuple[datetime.datetime, Decimal]]] = defaultdict(list)
    for patient_id, at, billions in billions_by_visit(
        patient_ids=set(patients), start=earliest, end=latest
    ):
        days[patient_id].append((at, billions))
    given: dict[int, list[tuple[int, datetime.datetime, Decimal]]] = defaultdict(list)
    for index, past in enumerate(visits):
        billions = sum((d.billions for d in past.doses), Decimal(0))
        given[past.patient.pk].append((index, past.visited_at, billions))
    with_forms = categories_with_forms()
    signed = patients_with_signed_consents(patient_ids=set(patients))
    readings = []
    for index, past in enumerate(visits):
        patient = patients[past.patient.pk]
        others = [(at, bn) for other, at, bn in given[patient.pk] if other != index]
        categories = {d.site.category for d in past.doses}
        readings.append(
            _Readings(
                earlier_billions=_billions_before(days[patient.pk] + others, past.visited_at),
                consent_gap=visit_consent_gap(
                    patient=patient,
                    site_categories=categories,
                    on=timezone.localdate(past.visited_at),
                    with_forms=with_forms,
                    signed_any=patient.pk in signed,
                ),
                consent_unrecorded=None
                if past.consent_recorded
                else visit_consent_unrecorded(site_categories=categories, with_forms=with_forms),
            )
        )
    return readings


def past_visits_record(
    *, by: User, visits: list[VisitEntry], reason: str
) -> list[Visit | ValidationError]:
    """Record treatments given before the clinic used ExoTrack (an import, `reason` e.g.
    "Imported from visits.csv (past record)"), many at once, by the rules of visit_record
    and with the same field errors, by a manager the caller has checked may import.

    Their vials were used then, so no stock is taken; their warnings are kept,
    acknowledged by `by` with `reason`, because the treatments already happened and no
    clinician can decide them again; none is picked for chart review; and follow-ups
    whose day has passed are not scheduled. The patients are locked, the 30-day totals
    and consents read, and the visits, doses and warnings inserted, once for all the
    visits; the other parts of the clinic hear of them together (past_visits_recorded).

    Returns, in order, each visit recorded or the ValidationError visit_record would
    raise for it; a refused visit saves nothing, the others are saved (in one
    transaction: a caller keeping all or none rolls back on any refusal)."""
    results: dict[int, Visit | ValidationError] = {}
    sound: list[VisitEntry] = []
    for index, past in enumerate(visits):
        errors = _visit_errors(past)
        if errors:
            results[index] = ValidationError(errors)
        else:
            sound.append(past)
    if sound:
        recorded = iter(_past_visits_save(by=by, visits=sound, reason=reason))
        for index in range(len(visits)):
            if index not in results:
                results[index] = next(recorded)
    return [results[index] for index in range(len(visits))]


def _past_visits_save(*, by: User, visits: list[VisitEntry], reason: str) -> list[Visit]:
    with transaction.atomic(), recorded_by(by):
        # Patients by id, as visit_record locks each: their 30-day totals stay whole.
        patients = {
            patient.pk: patient
            for patient in Patient.objects.select_for_update()
            .filter(pk__in={past.patient.pk for past in visits})
            .order_by("id")
        }
        rows = []
        for past, readings in zip(visits, _past_readings(visits, patients), strict=True):
            patient = patients[past.patient.pk]
            warnings = _warnings(
                patient=patient,
                cold_sore_prophylaxis=past.cold_sore_prophylaxis,
                doses=past.doses,
                readings=readings,
            )
            visit = _visit_row(
                past,
                by=by,
                patient=patient,
                awaiting_sign_off=False,  # every warning is acknowledged as imported
            )
            rows.append((visit, past, warnings))
        saved = Visit.objects.bulk_create([visit for visit, _, _ in rows])
        doses = Dose.objects.bulk_create(
            [dose for visit, past, _ in rows for dose in _dose_rows(visit, past.doses)]
        )
        now = timezone.now()
        VisitWarning.objects.bulk_create(
            [
                row
                for visit, _, warnings in rows
                for row in _warning_rows(
                    visit, warnings, reasons={w.code: reason for w in warnings}, by=by, now=now
                )
            ]
        )
        past_visits_recorded.send(sender=Visit, visits=saved, doses=doses, by=by)
        return saved


def chart_review_picked(*, patient_id: int, visited_at: datetime.datetime, percent: int) -> bool:
    """Whether a nurse's visit falls in the chart-review share: at random across visits,
    yet the same answer every time for one visit (its patient and time), keyed on the
    site's secret so staff cannot tell in advance which visits are picked."""
    visit = f"{patient_id}@{visited_at.astimezone(datetime.UTC).isoformat()}"
    digest = salted_hmac("exotrack.chart-review", visit, algorithm="sha256").digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def visit_sign_off(
    *, visit: Visit, by: User, acknowledgements: dict[str, str], note: str = ""
) -> Visit:
    """A clinician signs off a visit awaiting it: a reason for each warning it carries
    (the same rule as recording), and an optional review note. All or nothing.

    Raises PermissionDenied for staff who may not acknowledge warnings, ValidationError
    code `not_awaiting_sign_off` / `visit_voided`, or, on `acknowledgements`, one error per
    warning left without a reason (its code)."""
    if not by.has_perm(ACKNOWLEDGE_PERMISSION):
        raise PermissionDenied("Only a clinician can sign off a visit.")
    reasons = {code: (reason or "").strip() for code, reason in acknowledgements.items()}
    with transaction.atomic(), recorded_by(by):
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.is_voided:
            raise ValidationError(
                "This visit is voided: there is nothing to sign off.", "visit_voided"
            )
        if locked.sign_off != Visit.SignOff.AWAITING:
            raise ValidationError(
                "This visit is not awaiting sign-off (someone may have signed it off already).",
                "not_awaiting_sign_off",
            )
        pending = list(locked.warnings.filter(acknowledged_by__isnull=True))
        unexplained = [
            ValidationError(
                f"{VisitWarning.Code(w.code).label}: give the reason for going ahead.", w.code
            )
            for w in pending
            if not reasons.get(w.code)
        ]
        if unexplained:
            raise ValidationError({"acknowledgements": unexplained})
        now = timezone.now()
        for warning in pending:
            warning.reason = reasons[warning.code]
            warning.acknowledged_by = by
            warning.acknowledged_at = now
        VisitWarning.objects.bulk_update(pending, ["reason", "acknowledged_by", "acknowledged_at"])
        locked.sign_off = Visit.SignOff.SIGNED_OFF
        locked.signed_off_by = by
        locked.signed_off_at = now
        locked.sign_off_note = note.strip()
        locked.save(
            update_fields=[
                "sign_off",
                "signed_off_by",
                "signed_off_at",
                "sign_off_note",
                "updated_at",
            ]
        )
        return locked


def visit_void(*, visit: Visit, by: User, reason: str) -> Visit:
    """Void a visit recorded by mistake; it stays on record, marked, with the reason.

    Voided the day of the visit (clinic time), its vials were never really opened and go
    back to stock; on a later day they stay used."""
    with transaction.atomic(), recorded_by(by):
        locked = void_record(
            record=visit,
            by=by,
            reason=reason,
            permission=VOID_PERMISSION,
            noun="visit",
            refused="Only a clinician or the clinic manager can void a visit.",
        )
        reason = locked.void_reason
        if visit_stock_returns_on_void(locked):
            for row in (
                VialsOpened.objects.filter(visit=locked, returned__isnull=True)
                .select_related("movement")
                .order_by("lot_id")
            ):
                row.returned = stock_return(
                    movement=row.movement, by=by, reason=f"Visit {locked.pk} voided: {reason}"
                )
                row.save(update_fields=["returned"])
        visit_voided.send(sender=Visit, visit=locked, by=by, reason=reason)
        return locked


def visit_stock_returns_on_void(visit: Visit, *, now: datetime.datetime | None = None) -> bool:
    """Whether voiding this visit now would put its vials back in stock."""
    return timezone.localdate(visit.visited_at) == timezone.localdate(now or timezone.now())


# --- Site catalogue ---------------------------------------------------------------

# What staff may set on a catalogue site: the form, the API and these services share it.
SITE_FIELDS = (
    "name",
    "category",
    "dose_min_billions",
    "dose_max_billions",
    "default_route",
    "laterality_applies",
    "active",
)


def _site_saved(site: TreatmentSite) -> TreatmentSite:
    if (
        site.dose_min_billions is not None
        and site.dose_max_billions is not None
        and Decimal(site.dose_max_billions) < Decimal(site.dose_min_billions)
    ):
        raise ValidationError({"dose_max_billions": "The highest usual dose is below the lowest."})
    if site.dose_min_billions is not None and Decimal(site.dose_min_billions) <= 0:
        raise ValidationError({"dose_min_billions": "The lowest usual dose is above zero."})
    site.full_clean()
    site.save()
    return site


def treatment_site_create(*, by: User, **fields: Any) -> TreatmentSite:
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise TypeError(f"Not a site field: {', '.join(sorted(unknown))}")
    with transaction.atomic(), recorded_by(by):
        return _site_saved(TreatmentSite(**fields))


def treatment_site_update(*, by: User, site: TreatmentSite, **fields: Any) -> TreatmentSite:
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise TypeError(f"Not a site field: {', '.join(sorted(unknown))}")
    with transaction.atomic(), recorded_by(by):
        for name, value in fields.items():
            setattr(site, name, value)
        return _site_saved(site)


@transaction.atomic
def treatment_site_seed(
    *,
    name: str,
    category: str,
    dose_min_billions: Decimal | int | float | str,
    dose_max_billions: Decimal | int | float | str,
    default_route: str,
    laterality_applies: bool = False,
) -> tuple[TreatmentSite, bool]:
    """Add a catalogue site unless one of that name exists: a manager's edits to the
    dose range stay. Returns the site and whether it was created now."""
    existing = TreatmentSite.objects.filter(name=name).first()
    if existing is not None:
        return existing, False
    site = TreatmentSite(
        name=name,
        category=category,
        # As text, so full_clean turns a TOML float such as 2.5 into Decimal("2.5") (not
        # its binary neighbour) and reports anything else as a field error.
        dose_min_billions=str(dose_min_billions),
        dose_max_billions=str(dose_max_billions),
        default_route=default_route,
        laterality_applies=laterality_applies,
    )
    site.full_clean()
    site.save()
    return site, True
