"""Writes to patient records. Each runs in one transaction and names its actor in the
history context, so API (token) writes carry the user as well as page writes."""

import datetime
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.patients.models import (
    CLINICAL_FIELDS,
    GENERIC_FLAG_REASON,
    Medication,
    MedicationClass,
    Patient,
)
from apps.patients.selectors import (
    may_see_clinical,
    person_key,
    possible_duplicates,
    possible_duplicates_of,
)
from exotrack.dates import BIRTH_DATE
from exotrack.history import recorded_by
from exotrack.voiding import void_record

VOID_PERMISSION = "patients.void_patient"

IDENTITY_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "email",
    "phone",
    "email_consent",
    "preferred_location",
)


class PossibleDuplicate(Exception):
    """A current patient has the same name and birth date; the user must confirm."""

    def __init__(self, matches: list[Patient]):
        self.matches = matches
        names = ", ".join(f"{p.full_name} ({p.mrn})" for p in matches)
        super().__init__(f"A patient with this name and date of birth exists: {names}.")


def _allowed_fields(by: User) -> tuple[str, ...]:
    return IDENTITY_FIELDS + (CLINICAL_FIELDS if may_see_clinical(by) else ())


def _refuse_hidden_fields(by: User, fields: dict[str, Any]) -> None:
    hidden = sorted(set(fields) - set(_allowed_fields(by)))
    if hidden:
        raise PermissionDenied(f"Not allowed to set: {', '.join(hidden)}.")


def _note_consent_change(patient: Patient, was_consenting: bool) -> None:
    # The dates follow the tick box, so staff never type them.
    if patient.email_consent and not was_consenting:
        patient.email_consent_given_at = timezone.now()
        patient.email_consent_withdrawn_at = None
    elif was_consenting and not patient.email_consent:
        patient.email_consent_withdrawn_at = timezone.now()


def _check_birth_date(patient: Patient) -> None:
    """Not in the future, and not more than 120 years back: the rule of the form and the
    API, kept here too for every other way in (imports, seeds)."""
    if patient.date_of_birth and patient.date_of_birth > timezone.localdate():
        raise ValidationError({"date_of_birth": "The date of birth is in the future."})
    if patient.date_of_birth:
        try:
            BIRTH_DATE(patient.date_of_birth)
        except ValidationError as refused:
            raise ValidationError({"date_of_birth": refused}) from None


def _check_reminder_address(patient: Patient) -> None:
    # Consent to reminder e-mails with nowhere to send them would silently send nothing.
    if patient.email_consent and not patient.email.strip():
        raise ValidationError(
            {
                "email": ValidationError(
                    "Reminder e-mails need an e-mail address: give one, or untick the consent.",
                    code="consent_without_email",
                )
            }
        )


class RegistrationsRefused(Exception):
    """Some of the patients given to patient_register_many cannot be registered, so none
    was: `refusals` holds, by position, the ValidationError or PossibleDuplicate of each."""

    def __init__(self, refusals: dict[int, ValidationError | PossibleDuplicate]):
        self.refusals = refusals
        super().__init__(f"{len(refusals)} patients cannot be registered.")


def _new_patient(by: User, fields: dict[str, Any]) -> Patient:
    """The patient the fields describe, checked by the registration rules (all but the
    duplicate check), not saved yet."""
    _refuse_hidden_fields(by, fields)
    patient = Patient(created_by=by, **fields)
    # `by` is the signed-in user, and the foreign key stands behind it: looking the user
    # up again for every patient of an import would only cost a query each.
    patient.full_clean(exclude=["mrn", "created_by"])
    _check_birth_date(patient)
    _check_reminder_address(patient)
    return patient


def patient_register(*, by: User, confirm_duplicate: bool = False, **fields: Any) -> Patient:
    """Register a new patient. Raises PossibleDuplicate unless `confirm_duplicate`."""
    with transaction.atomic(), recorded_by(by):
        patient = _new_patient(by, fields)
        if not confirm_duplicate:
            matches = possible_duplicates(
                first_name=patient.first_name,
                last_name=patient.last_name,
                date_of_birth=patient.date_of_birth,
            )
            if matches:
                raise PossibleDuplicate(matches)
        _note_consent_change(patient, was_consenting=False)
        patient.save()
        # The MRN comes from a database sequence default: read it back.
        patient.refresh_from_db(fields=["mrn"])
    return patient


def patient_register_many(*, by: User, people: list[dict[str, Any]]) -> list[Patient]:
    """Register many new patients at once (an import) by patient_register's rules, none
    confirmed as a duplicate, in a few queries instead of several per patient: all or
    none. Raises RegistrationsRefused naming every refused one."""
    refusals: dict[int, ValidationError | PossibleDuplicate] = {}
    patients: dict[int, Patient] = {}
    for position, fields in enumerate(people):
        try:
            patients[position] = _new_patient(by, fields)
        except ValidationError as error:
            refusals[position] = error
    matches = possible_duplicates_of(
        people=[(p.first_name, p.last_name, p.date_of_birth) for p in patients.values()]
    )
    first_given: set[tuple] = set()
    for position, patient in patients.items():
        key = person_key(patient.first_name, patient.last_name, patient.date_of_birth)
        if key in matches:
            refusals[position] = PossibleDuplicate(matches[key])
        elif key in first_given:
            # Registered one after the other, the second would meet the first.
            refusals[position] = ValidationError(
                {
                    NON_FIELD_ERRORS: "Another patient given with this one has the same "
                    "name and date of birth."
                }
            )
        first_given.add(key)
    if refusals:
        raise RegistrationsRefused(refusals)
    for patient in patients.values():
        _note_consent_change(patient, was_consenting=False)
    with transaction.atomic(), recorded_by(by):
        # PostgreSQL hands back each MRN (a sequence default) with the insert.
        return Patient.objects.bulk_create(patients.values(), batch_size=1000)


def patient_update(*, by: User, patient: Patient, **fields: Any) -> Patient:
    """Change identity/contact fields, and clinical fields for staff who may see them."""
    _refuse_hidden_fields(by, fields)
    if patient.is_voided:
        raise ValidationError("A voided patient cannot be changed.")
    with transaction.atomic(), recorded_by(by):
        current = Patient.objects.select_for_update().get(pk=patient.pk)
        was_consenting = current.email_consent
        for name, value in fields.items():
            setattr(current, name, value)
        current.full_clean(exclude=["mrn"])
        _check_birth_date(current)
        _check_reminder_address(current)
        _note_consent_change(current, was_consenting=was_consenting)
        current.save()
    return current


def patient_email_consent_withdraw(*, patient_id: int) -> Patient:
    """The patient withdrew consent to reminder e-mails themselves (the unsubscribe link
    in a reminder): takes effect at once, dated, with history. Withdrawing again changes
    nothing. The caller names itself in the history context; no staff member acts."""
    with transaction.atomic():
        current = Patient.objects.select_for_update().get(pk=patient_id)
        if current.email_consent:
            current.email_consent = False
            _note_consent_change(current, was_consenting=True)
            current.save(
                update_fields=["email_consent", "email_consent_withdrawn_at", "updated_at"]
            )
    return current


def patient_void(*, by: User, patient: Patient, reason: str) -> Patient:
    """Hide a patient registered by mistake (e.g. a duplicate). Nothing is deleted."""
    return void_record(
        record=patient,
        by=by,
        reason=reason,
        permission=VOID_PERMISSION,
        noun="patient",
        refused="Only a clinician or the clinic manager can void a patient.",
    )


def medication_add(
    *,
    by: User,
    patient: Patient,
    name: str,
    medication_class: MedicationClass,
    dose_text: str = "",
    started_on: datetime.date | None = None,
) -> Medication:
    if patient.is_voided:
        raise ValidationError("A voided patient cannot be changed.")
    with transaction.atomic(), recorded_by(by):
        medication = Medication(
            patient=patient,
            name=name.strip(),
            medication_class=medication_class,
            dose_text=dose_text.strip(),
            started_on=started_on,
            created_by=by,
        )
        medication.full_clean()
        medication.save()
    return medication


def medication_stop(*, by: User, medication: Medication, stopped_on: datetime.date) -> Medication:
    with transaction.atomic(), recorded_by(by):
        current = Medication.objects.select_for_update().get(pk=medication.pk)
        if current.stopped_on is not None:
            raise ValidationError({"stopped_on": "This medication is already stopped."})
        if current.started_on and stopped_on < current.started_on:
            raise ValidationError({"stopped_on": "A medication cannot stop before it started."})
        current.stopped_on = stopped_on
        current.save(update_fields=["stopped_on", "updated_at"])
    return current


@transaction.atomic
def medication_class_seed(
    *,
    code: str,
    name: str,
    watched: bool,
    review_within_days: int = 14,
    guidance: str = "",
    flag_reason: str = GENERIC_FLAG_REASON,
) -> tuple[MedicationClass, bool]:
    """Add a medication class unless its code exists: a manager's choice of what is
    watched stays. Returns the class and whether it was created now."""
    existing = MedicationClass.objects.filter(code=code).first()
    if existing is not None:
        return existing, False
    medication_class = MedicationClass(
        code=code,
        name=name,
        watched=watched,
        review_within_days=review_within_days,
        guidance=guidance,
        flag_reason=flag_reason,
    )
    medication_class.full_clean()
    medication_class.save()
    return medication_class, True


# What a manager may change on a class; its code stays, as imports and seeds name it.
MEDICATION_CLASS_FIELDS = ("name", "watched", "review_within_days", "guidance", "flag_reason")


def medication_class_update(
    *, by: User, medication_class: MedicationClass, **fields: Any
) -> MedicationClass:
    """A manager's edit of a class: what is watched, how soon it is reviewed, and what
    its flags say. Flags already raised keep the words they were raised with."""
    unknown = set(fields) - set(MEDICATION_CLASS_FIELDS)
    if unknown:
        raise TypeError(f"Not a medication class field: {', '.join(sorted(unknown))}")
    if not by.has_perm("patients.change_medicationclass"):
        raise PermissionDenied("Only a manager changes medication classes.")
    with transaction.atomic(), recorded_by(by):
        locked = MedicationClass.objects.select_for_update().get(pk=medication_class.pk)
        for name, value in fields.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        locked.full_clean()
        locked.save()
    return locked
