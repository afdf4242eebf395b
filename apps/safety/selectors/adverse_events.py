"""Reads of adverse events with the joins their pages need, the dashboard's serious-event
panel, and the MedWatch (FDA Form 3500A, sections A-C) view of one event."""

import datetime
from dataclasses import asdict, dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.patients.models import Medication, Patient
from apps.patients.selectors import of_visible_patients
from apps.safety.models import AdverseEvent, AdverseEventDose, AdverseEventType, Seriousness
from apps.treatments.models import Dose

SERIOUS_PANEL_DAYS = 30
SERIOUS_PANEL_ROWS = 20


def _doses_prefetch() -> Prefetch:
    return Prefetch(
        "doses",
        queryset=Dose.objects.select_related("site", "lot__product__manufacturer").order_by("id"),
    )


def adverse_events_visible_to(user: User) -> QuerySet[AdverseEvent]:
    """Events of patients this user may open (voided patients' too: their records stay
    readable by link); none without the adverse-event permission. Two queries for any
    number of events: the events, then their doses with lots."""
    if not user.has_perm("safety.view_adverseevent"):
        return AdverseEvent.objects.none()
    return (
        of_visible_patients(AdverseEvent.objects.all(), user)
        .select_related("patient", "visit", "event_type", "voided_by", "created_by")
        .prefetch_related(_doses_prefetch())
        .order_by("-onset_date", "-id")
    )


def adverse_event_search(
    *,
    user: User,
    patient_id: int | None = None,
    visit_id: int | None = None,
    event_type_id: int | None = None,
    event_type_code: str = "",
    serious: bool | None = None,
    grade: int | None = None,
    lot_id: int | None = None,
    lot_number: str = "",
    onset_from: datetime.date | None = None,
    onset_to: datetime.date | None = None,
    include_voided: bool = True,
) -> QuerySet[AdverseEvent]:
    events = adverse_events_visible_to(user)
    if patient_id is not None:
        events = events.filter(patient_id=patient_id)
    if visit_id is not None:
        events = events.filter(visit_id=visit_id)
    if event_type_id is not None:
        events = events.filter(event_type_id=event_type_id)
    if event_type_code:
        events = events.filter(event_type__code=event_type_code)
    if serious is True:
        events = events.exclude(seriousness=[])
    elif serious is False:
        events = events.filter(seriousness=[])
    if grade is not None:
        events = events.filter(grade=grade)
    if lot_id is not None:
        events = events.filter(pk__in=_events_of_lots(Q(dose__lot_id=lot_id)))
    if lot_number:
        events = events.filter(pk__in=_events_of_lots(Q(dose__lot__lot_number__iexact=lot_number)))
    if onset_from is not None:
        events = events.filter(onset_date__gte=onset_from)
    if onset_to is not None:
        events = events.filter(onset_date__lte=onset_to)
    if not include_voided:
        events = events.filter(voided_at__isnull=True)
    return events


def _events_of_lots(lots: Q) -> QuerySet:
    return AdverseEventDose.objects.filter(lots).values("adverse_event_id")


def adverse_event_detail(*, user: User, pk: int) -> AdverseEvent:
    """One event (AdverseEvent.DoesNotExist if the user may not see it)."""
    return adverse_events_visible_to(user).get(pk=pk)


def patient_adverse_events(*, patient: Patient) -> QuerySet[AdverseEvent]:
    """The patient page's list: one query, voided events included (the page marks them)."""
    return (
        AdverseEvent.objects.filter(patient=patient)
        .select_related("event_type")
        .order_by("-onset_date", "-id")
    )


def adverse_event_types(
    *, active_only: bool = False, keep_id: int | None = None
) -> QuerySet[AdverseEventType]:
    """The types by name; `active_only` leaves retired ones out, except `keep_id` (the
    type an event being corrected already has)."""
    types = AdverseEventType.objects.order_by("name")
    if active_only:
        types = types.filter(Q(active=True) | Q(pk=keep_id))
    return types


def serious_events_panel(*, user: User) -> dict:
    """The clinicians' dashboard panel: serious events not yet resolved, or recorded in
    the last 30 days. One query (two with the count)."""
    since = timezone.now() - datetime.timedelta(days=SERIOUS_PANEL_DAYS)
    events = (
        of_visible_patients(AdverseEvent.objects.filter(voided_at__isnull=True), user)
        .exclude(seriousness=[])
        .filter(Q(resolution_date__isnull=True) | Q(created_at__gte=since))
        .select_related("patient", "event_type")
        .order_by("-onset_date", "-id")
    )
    rows = list(events[: SERIOUS_PANEL_ROWS + 1])
    return {
        "serious_events": rows[:SERIOUS_PANEL_ROWS],
        "more": len(rows) > SERIOUS_PANEL_ROWS,
        "days": SERIOUS_PANEL_DAYS,
    }


# --- MedWatch ----------------------------------------------------------------------


@dataclass(frozen=True)
class MedWatchProduct:
    """One product given at the visit (a suspect product if linked to the event)."""

    product: str
    manufacturer: str
    regulatory_status: str
    lot_number: str
    expiry_date: datetime.date
    dose: str
    route: str
    site: str
    therapy_start: datetime.date
    therapy_end: datetime.date


def _age_on(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _product(dose: Dose, *, day: datetime.date) -> MedWatchProduct:
    side = f" ({dose.get_laterality_display().lower()})" if dose.laterality != "na" else ""
    volume = f", {dose.volume_ml} mL" if dose.volume_ml is not None else ""
    return MedWatchProduct(
        product=dose.lot.product.name,
        manufacturer=dose.lot.product.manufacturer.name,
        regulatory_status=dose.lot.product.regulatory_status,
        lot_number=dose.lot.lot_number,
        expiry_date=dose.lot.expiry_date,
        dose=f"{dose.billions} billion particles{volume}",
        route=dose.get_route_display(),
        site=f"{dose.site.name}{side}",
        # One injection at the visit: therapy starts and ends that day.
        therapy_start=day,
        therapy_end=day,
    )


def medwatch_report(*, event: AdverseEvent) -> dict:
    """The fields of FDA Form 3500A sections A-C for one event, as plain values.

    The patient is identified by MRN, never by name. "Other products" are the visit's
    doses not linked to the event and the medications the patient was on at onset."""
    patient = event.patient
    visit_day = timezone.localdate(event.visit.visited_at)
    linked = {dose.pk for dose in event.doses.all()}
    visit_doses = list(
        Dose.objects.filter(visit_id=event.visit_id)
        .select_related("site", "lot__product__manufacturer")
        .order_by("id")
    )
    medications = Medication.objects.filter(
        Q(started_on__isnull=True) | Q(started_on__lte=event.onset_date),
        Q(stopped_on__isnull=True) | Q(stopped_on__gte=visit_day),
        patient_id=patient.pk,
    ).order_by("name")
    return {
        "event_id": event.pk,
        "report_date": timezone.localdate(),
        "a_patient": {
            "identifier": patient.mrn,
            "age_years": _age_on(patient.date_of_birth, event.onset_date),
            "date_of_birth": patient.date_of_birth,
            "sex": patient.get_sex_display(),
            "weight_kg": event.weight_kg,
        },
        "b_event": {
            "serious": event.is_serious,
            "outcomes_attributed": [Seriousness(value).label for value in event.seriousness],
            "event": event.event_type.name,
            "description": event.description,
            "ctcae_grade": event.grade,
            "onset_date": event.onset_date,
            "resolution_date": event.resolution_date,
            "outcome": event.get_outcome_display(),
            "causality": event.get_causality_display(),
            "action_taken": event.action_taken,
            "narrative": event.narrative,
            "reported_to_manufacturer_on": event.reported_to_manufacturer_on,
            "manufacturer_reference": event.manufacturer_reference,
            "reported_to_fda_on": event.reported_to_fda_on,
            "fda_reference": event.fda_reference,
        },
        "c_products": {
            "suspect": [
                asdict(_product(dose, day=visit_day)) for dose in visit_doses if dose.pk in linked
            ],
            "abated_on_stopping": event.get_abated_on_stopping_display(),
            "recurred_on_reintroduction": event.get_recurred_on_reintroduction_display(),
            "concomitant": [
                asdict(_product(dose, day=visit_day))
                for dose in visit_doses
                if dose.pk not in linked
            ],
            "concomitant_medications": [
                {
                    "name": medication.name,
                    "dose": medication.dose_text,
                    "started_on": medication.started_on,
                    "stopped_on": medication.stopped_on,
                }
                for medication in medications
            ],
        },
    }


MEDWATCH_CSV_HEADER = ("section", "field", "value")


def medwatch_rows(report: dict) -> list[tuple[str, str, object]]:
    """The report flattened to (section, field, value) rows for the CSV download: one
    row per field; products and medications numbered (suspect_1.lot_number ...)."""
    rows: list[tuple[str, str, object]] = [
        ("", "event_id", report["event_id"]),
        ("", "report_date", report["report_date"]),
    ]
    for section in ("a_patient", "b_event", "c_products"):
        for field, value in report[section].items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                for number, item in enumerate(value, start=1):
                    rows.extend(
                        (section, f"{field}_{number}.{key}", item_value)
                        for key, item_value in item.items()
                    )
            elif isinstance(value, list):
                rows.append((section, field, "; ".join(str(v) for v in value)))
            else:
                rows.append((section, field, value))
    return rows
