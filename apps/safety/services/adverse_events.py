"""Adverse events: recording, correcting and voiding them, the seeded list of types, and
the one e-mail to the clinic's safety contact about a serious event.

Every write runs in one transaction with the clinic's rules checked first, so a refused
event leaves nothing behind."""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

import pghistory
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.clinic.selectors import clinic_profile
from apps.followups.models import SelfReport
from apps.followups.services.self_reports import self_report_confirm, self_reports_reopen
from apps.patients.models import Patient
from apps.safety.models import (
    AdverseEvent,
    AdverseEventDose,
    AdverseEventOutcome,
    AdverseEventType,
    Causality,
    Challenge,
    Seriousness,
)
from apps.treatments.models import Dose, Visit
from exotrack.emails import email_message
from exotrack.history import recorded_by
from exotrack.voiding import void_record

logger = logging.getLogger(__name__)

CHANGE_PERMISSION = "safety.change_adverseevent"
SERIOUS_EVENT_EMAIL = "safety/email/serious_event"
HEAVIEST_WEIGHT_KG = Decimal("700")


@dataclass
class EventDetails:
    """What staff describe about an event; the visit and patient stay fixed once recorded.

    The service checks these together, so a form, the API and an update all answer with
    the same field-level messages."""

    event_type: AdverseEventType
    onset_date: datetime.date
    grade: int
    description: str = ""
    resolution_date: datetime.date | None = None
    seriousness: list[str] | tuple[str, ...] = ()
    outcome: str = AdverseEventOutcome.UNKNOWN
    causality: str = Causality.UNASSESSED
    action_taken: str = ""
    abated_on_stopping: str = Challenge.UNKNOWN
    recurred_on_reintroduction: str = Challenge.UNKNOWN
    weight_kg: Decimal | None = None
    narrative: str = ""
    reported_to_manufacturer_on: datetime.date | None = None
    manufacturer_reference: str = ""
    reported_to_fda_on: datetime.date | None = None
    fda_reference: str = ""

    def cleaned(self) -> "EventDetails":
        """Text trimmed and criteria in the form's order, each once."""
        for name in ("description", "action_taken", "narrative"):
            setattr(self, name, (getattr(self, name) or "").strip())
        for name in ("manufacturer_reference", "fda_reference"):
            setattr(self, name, (getattr(self, name) or "").strip())
        chosen = set(self.seriousness or ())
        self.seriousness = [value for value in Seriousness.values if value in chosen] + sorted(
            chosen - set(Seriousness.values)
        )
        return self


DETAIL_FIELDS = tuple(f.name for f in fields(EventDetails))


def _date_errors(details: EventDetails, *, visit: Visit) -> dict[str, ValidationError]:
    today = timezone.localdate()
    visit_day = timezone.localdate(visit.visited_at)
    errors: dict[str, ValidationError] = {}
    if details.onset_date > today:
        errors["onset_date"] = ValidationError(
            "The onset cannot be in the future.", code="in_future"
        )
    elif details.onset_date < visit_day:
        errors["onset_date"] = ValidationError(
            f"The onset is before the linked visit ({visit_day:%Y-%m-%d}).", code="before_visit"
        )
    if details.resolution_date is not None:
        if details.resolution_date > today:
            errors["resolution_date"] = ValidationError(
                "The resolution cannot be in the future.", code="in_future"
            )
        elif details.resolution_date < details.onset_date:
            errors["resolution_date"] = ValidationError(
                f"The resolution is before the onset ({details.onset_date:%Y-%m-%d}).",
                code="before_onset",
            )
    for field, what in (
        ("reported_to_manufacturer_on", "manufacturer"),
        ("reported_to_fda_on", "FDA"),
    ):
        day = getattr(details, field)
        if day is not None and day > today:
            errors[field] = ValidationError(
                f"The report to the {what} cannot be in the future.", code="in_future"
            )
        elif day is not None and day < details.onset_date:
            errors[field] = ValidationError(
                f"The report to the {what} is before the onset.", code="before_onset"
            )
    for reference, day_field, what in (
        ("manufacturer_reference", "reported_to_manufacturer_on", "manufacturer"),
        ("fda_reference", "reported_to_fda_on", "FDA"),
    ):
        if getattr(details, reference) and getattr(details, day_field) is None:
            errors.setdefault(
                day_field,
                ValidationError(
                    f"Give the date it was reported to the {what}.", code="reference_without_date"
                ),
            )
    return errors


def _clinical_errors(details: EventDetails) -> dict[str, ValidationError]:
    errors: dict[str, ValidationError] = {}
    if details.event_type.needs_description and not details.description:
        errors["description"] = ValidationError(
            f"Describe the event: the type is '{details.event_type.name}'.",
            code="description_required",
        )
    if details.grade not in (1, 2, 3, 4, 5):
        errors["grade"] = ValidationError("The CTCAE grade is 1 to 5.", code="invalid_grade")
    elif details.grade == 5 and details.outcome != AdverseEventOutcome.FATAL:
        errors["grade"] = ValidationError(
            "Grade 5 is death: the outcome must be 'Fatal'.", code="grade_5_not_fatal"
        )
    elif details.outcome == AdverseEventOutcome.FATAL and details.grade != 5:
        errors["outcome"] = ValidationError(
            "A fatal outcome is CTCAE grade 5.", code="fatal_not_grade_5"
        )
    unknown = [value for value in details.seriousness if value not in Seriousness.values]
    if unknown:
        errors["seriousness"] = ValidationError(
            f"Not a seriousness criterion: {', '.join(unknown)}.", code="invalid_choice"
        )
    elif (
        details.outcome == AdverseEventOutcome.FATAL
        and Seriousness.DEATH not in details.seriousness
    ):
        errors["seriousness"] = ValidationError(
            "A fatal outcome is serious: tick 'Death'.", code="fatal_not_serious"
        )
    if details.seriousness and not details.narrative:
        errors["narrative"] = ValidationError(
            "A serious event needs a narrative: what happened, what was done, how it ended.",
            code="narrative_required",
        )
    if details.weight_kg is not None and not Decimal(0) < details.weight_kg < HEAVIEST_WEIGHT_KG:
        errors["weight_kg"] = ValidationError(
            "Give the weight in kilograms (more than 0, below 700).", code="invalid_weight"
        )
    return errors


def _dose_errors(*, dose_ids: list[int], found: set[int]) -> dict[str, ValidationError]:
    if not dose_ids:
        return {"doses": ValidationError("Link at least one dose of the visit.", code="required")}
    stray = [str(pk) for pk in dose_ids if pk not in found]
    if stray:
        return {
            "doses": ValidationError(
                f"Not a dose of this visit: {', '.join(stray)}.", code="not_of_visit"
            )
        }
    return {}


def _type_errors(event_type: AdverseEventType) -> dict[str, ValidationError]:
    if event_type.active:
        return {}
    return {
        "event_type": ValidationError(
            f"'{event_type.name}' is no longer in the list of event types.", code="type_retired"
        )
    }


def _dose_ids(doses: Iterable[Dose | int]) -> list[int]:
    ids = [dose.pk if isinstance(dose, Dose) else int(dose) for dose in doses]
    return list(dict.fromkeys(ids))


def _raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _full_clean(event: AdverseEvent) -> None:
    # The rules above speak the clinic's words; full_clean still catches a choice or a
    # length the callers did not check, as field errors, before the database would.
    event.full_clean(exclude=["patient", "visit", "event_type", "created_by", "voided_by"])


def _notify_if_serious(event: AdverseEvent) -> None:
    """Enqueue the safety contact's e-mail once the transaction commits; the task claims
    the event, so enqueueing it again (e.g. after an edit) never sends a second e-mail."""
    if event.is_serious and event.safety_contact_notified_at is None and not event.is_voided:
        from apps.safety.tasks import serious_event_email

        serious_event_email.delay_on_commit(event.pk)


def adverse_event_record(
    *,
    by: User,
    patient: Patient,
    visit: Visit,
    doses: Iterable[Dose | int],
    event_type: AdverseEventType,
    onset_date: datetime.date,
    grade: int,
    self_report: SelfReport | None = None,
    **details: Any,
) -> AdverseEvent:
    """Record an adverse event of `patient`, linked to doses of one of their visits (and
    so to the lots). `details` are the other EventDetails fields.

    A serious event (any seriousness criterion) e-mails the clinic's safety contact once,
    after commit. With `self_report`, that self-report is confirmed as this event in
    the same transaction. Raises ValidationError with field keys; nothing is saved."""
    unknown = set(details) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"Not an adverse-event field: {', '.join(sorted(unknown))}")
    event_details = EventDetails(
        event_type=event_type, onset_date=onset_date, grade=grade, **details
    ).cleaned()
    dose_ids = _dose_ids(doses)
    errors: dict = {}
    if patient.is_voided:
        errors["patient"] = ValidationError("This patient record is voided.", code="patient_voided")
    if visit.patient_id != patient.pk:
        errors["visit"] = ValidationError("This visit is another patient's.", code="other_patient")
    errors.update(_type_errors(event_type))
    with transaction.atomic(), recorded_by(by):
        # Locked, so a visit being voided at this moment is seen voided, not linked to.
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        if visit.is_voided:
            errors["visit"] = ValidationError("This visit is voided.", code="visit_voided")
        found = set(Dose.objects.filter(visit=visit, pk__in=dose_ids).values_list("pk", flat=True))
        errors.update(_dose_errors(dose_ids=dose_ids, found=found))
        errors.update(_date_errors(event_details, visit=visit))
        errors.update(_clinical_errors(event_details))
        _raise_if(errors)
        event = AdverseEvent(
            patient=patient,
            visit=visit,
            created_by=by,
            **{name: getattr(event_details, name) for name in DETAIL_FIELDS},
        )
        _full_clean(event)
        event.save()
        AdverseEventDose.objects.bulk_create(
            AdverseEventDose(adverse_event=event, dose_id=pk) for pk in dose_ids
        )
        if self_report is not None:
            self_report_confirm(by=by, report=self_report, event=event)
        _notify_if_serious(event)
        return event


def adverse_event_update(
    *, by: User, event: AdverseEvent, doses: Iterable[Dose | int] | None = None, **changes: Any
) -> AdverseEvent:
    """Correct an event: any EventDetails field, and which doses of its visit it is
    linked to. The same rules as recording apply to the event as it would stand.

    Becoming serious e-mails the safety contact (once per event, ever)."""
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"Not an adverse-event field: {', '.join(sorted(unknown))}")
    with transaction.atomic(), recorded_by(by):
        locked = (
            AdverseEvent.objects.select_for_update()
            .select_related("visit", "event_type")
            .get(pk=event.pk)
        )
        if locked.is_voided:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: ValidationError(
                        "This event is voided: it is kept as it was.", code="voided"
                    )
                }
            )
        current = {name: getattr(locked, name) for name in DETAIL_FIELDS}
        event_details = EventDetails(**{**current, **changes}).cleaned()
        errors: dict = {}
        if "event_type" in changes and changes["event_type"].pk != locked.event_type_id:
            # A type retired since is kept on the event, but not newly chosen.
            errors.update(_type_errors(changes["event_type"]))
        dose_ids = None
        if doses is not None:
            dose_ids = _dose_ids(doses)
            found = set(
                Dose.objects.filter(visit_id=locked.visit_id, pk__in=dose_ids).values_list(
                    "pk", flat=True
                )
            )
            errors.update(_dose_errors(dose_ids=dose_ids, found=found))
        errors.update(_date_errors(event_details, visit=locked.visit))
        errors.update(_clinical_errors(event_details))
        _raise_if(errors)
        for name in DETAIL_FIELDS:
            setattr(locked, name, getattr(event_details, name))
        _full_clean(locked)
        locked.save()
        if dose_ids is not None:
            linked = set(
                AdverseEventDose.objects.filter(adverse_event=locked).values_list(
                    "dose_id", flat=True
                )
            )
            # Row by row, so the history shows which link went and which came.
            for row in AdverseEventDose.objects.filter(
                adverse_event=locked, dose_id__in=linked - set(dose_ids)
            ):
                row.delete()
            AdverseEventDose.objects.bulk_create(
                AdverseEventDose(adverse_event=locked, dose_id=pk)
                for pk in dose_ids
                if pk not in linked
            )
        _notify_if_serious(locked)
        return locked


def adverse_event_void(*, by: User, event: AdverseEvent, reason: str) -> AdverseEvent:
    """Void an event recorded by mistake: it stays on record, marked, with the reason."""
    with transaction.atomic(), recorded_by(by):
        locked = void_record(
            record=event,
            by=by,
            reason=reason,
            permission=CHANGE_PERMISSION,
            noun="event",
            refused="Only a clinician can void an adverse event.",
        )
        # A self-report confirmed as this event is unanswered again: back to the worklist
        # for a clinician to confirm properly or dismiss.
        self_reports_reopen(
            by=by, event=locked, note=f"Adverse event {locked.pk} voided: {locked.void_reason}"
        )
        return locked


# --- The safety contact's e-mail ----------------------------------------------------


def serious_event_link(event: AdverseEvent) -> str:
    return settings.SITE_URL + reverse("safety:adverse-event-detail", args=[event.pk])


def serious_event_notify(*, event_id: int) -> bool:
    """E-mail the clinic's safety contact about one serious event, exactly once.

    The event is claimed with a conditional UPDATE of safety_contact_notified_at, and the
    row stays locked while the SMTP server is asked: a second sender waits, then finds it
    claimed. If the server refuses, the exception rolls the claim back (the caller
    retries); only an accepted message stays marked. Returns whether this call sent it.
    Without a safety contact configured nothing is marked: a later edit or the periodic
    sweep sends it once a manager enters the address."""
    clinic = clinic_profile()
    contact = clinic.safety_contact_email
    if not contact:
        logger.warning(
            "Serious adverse event %s: no safety contact e-mail in the clinic profile, "
            "nobody was told.",
            event_id,
        )
        return False
    with transaction.atomic(), pghistory.context(source="serious-event e-mail"):
        claimed = (
            AdverseEvent.objects.filter(
                pk=event_id, safety_contact_notified_at__isnull=True, voided_at__isnull=True
            )
            .exclude(seriousness=[])
            .update(safety_contact_notified_at=timezone.now())
        )
        if not claimed:
            return False
        event = AdverseEvent.objects.select_related("patient", "event_type", "visit").get(
            pk=event_id
        )
        email_message(
            template=SERIOUS_EVENT_EMAIL,
            context={
                "event": event,
                "mrn": event.patient.mrn,
                "criteria": [Seriousness(value).label for value in event.seriousness],
                "link": serious_event_link(event),
                "clinic": clinic,
            },
            to=[contact],
        ).send()
    return True


def serious_events_notify_pending() -> int:
    """The safety net beat runs: e-mail every serious event nobody was told about yet
    (its task was lost or gave up, or no contact was configured then). Returns how many
    were sent; one that fails now is tried again next time."""
    if not clinic_profile().safety_contact_email:
        return 0
    pending = (
        AdverseEvent.objects.filter(safety_contact_notified_at__isnull=True, voided_at__isnull=True)
        .exclude(seriousness=[])
        .order_by("id")
        .values_list("pk", flat=True)
    )
    sent = 0
    for event_id in list(pending):
        try:
            sent += serious_event_notify(event_id=event_id)
        except OSError:
            logger.exception(
                "Serious adverse event %s: e-mail failed, tried again later.", event_id
            )
    return sent


# --- Seeded list of types -----------------------------------------------------------


def _check_rate(expected_one_in: int | None) -> None:
    if expected_one_in is not None and expected_one_in < 1:
        raise ValidationError({"expected_one_in": "The expected rate is 1 in N, N at least 1."})


@transaction.atomic
def adverse_event_type_seed(
    *,
    code: str,
    name: str,
    needs_description: bool = False,
    expected_one_in: int | None = None,
    exposure: str = AdverseEventType.Exposure.DOSE,
) -> tuple[AdverseEventType, bool]:
    """Add a type unless one with this code exists: a manager's edits to the expected
    rate stay. Returns the type and whether it was created now."""
    existing = AdverseEventType.objects.filter(code=code).first()
    if existing is not None:
        return existing, False
    _check_rate(expected_one_in)
    event_type = AdverseEventType(
        code=code,
        name=name,
        needs_description=needs_description,
        expected_one_in=expected_one_in,
        exposure=exposure,
    )
    event_type.full_clean()
    event_type.save()
    return event_type, True


def adverse_event_type_update(
    *,
    by: User,
    event_type: AdverseEventType,
    expected_one_in: int | None,
    exposure: str,
    active: bool,
) -> AdverseEventType:
    """A manager's change of a type's expected rate (the reference safety signals test
    lots against), what one exposure is, or whether staff may still choose it."""
    _check_rate(expected_one_in)
    with transaction.atomic(), recorded_by(by):
        locked = AdverseEventType.objects.select_for_update().get(pk=event_type.pk)
        locked.expected_one_in = expected_one_in
        locked.exposure = exposure
        locked.active = active
        locked.full_clean()
        locked.save()
        return locked
