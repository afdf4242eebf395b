"""Importing a clinic's existing patients: upload, column mapping, dry run, import.

Every row goes through patients.services.patient_register_many, the rules the registration
form uses, so history and the duplicate check apply. The dry run and the import are the
same walk over the file in one transaction; the dry run always rolls back, the import
rolls back unless every row was good: nothing is ever half imported. A row whose
patient is already here (the same external id imported before, or the same first name,
last name and date of birth) is counted and skipped, so a second upload adds nothing."""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connections, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from apps.accounts.models import User
from apps.imports.fields import ImportField
from apps.imports.models import ImportedPatient, PatientImport
from apps.imports.parsing import Table, read_table
from apps.patients.models import Patient
from apps.patients.services import (
    PossibleDuplicate,
    RegistrationsRefused,
    patient_register_many,
)

IMPORT_PERMISSION = "imports.import_patients"
# Rows between progress updates on the page.
PROGRESS_EVERY = 100


FIELDS = (
    ImportField(
        "external_id",
        "Your patient id",
        False,
        ("externalid", "id", "patientid", "chartnumber", "chartno", "recordnumber"),
    ),
    ImportField("first_name", "First name", True, ("firstname", "givenname", "given", "forename")),
    ImportField("last_name", "Last name", True, ("lastname", "surname", "familyname", "family")),
    ImportField(
        "date_of_birth",
        "Date of birth",
        True,
        ("dateofbirth", "dob", "birthdate", "birthday", "born"),
    ),
    ImportField("sex", "Sex", False, ("sex", "gender")),
    ImportField("email", "Email", False, ("email", "emailaddress", "mail")),
    ImportField("phone", "Phone", False, ("phone", "telephone", "mobile", "phonenumber", "tel")),
    ImportField(
        "email_consent",
        "Consents to reminder e-mails",
        False,
        ("emailconsent", "consentstoemail", "consent", "remindersconsent"),
    ),
)


def fields_for(kind: str) -> tuple[ImportField, ...]:
    """The fields a file of this kind (patients or past visits) is read into."""
    from apps.imports.visits import VISIT_FIELDS  # that module reads rows with this one's help

    return VISIT_FIELDS if kind == PatientImport.Kind.VISITS else FIELDS


def template_headers(kind: str) -> list[str]:
    return [field.label for field in fields_for(kind)]


_SEX = {
    "f": "female",
    "female": "female",
    "w": "female",
    "woman": "female",
    "m": "male",
    "male": "male",
    "man": "male",
    "o": "other",
    "other": "other",
    "x": "other",
    "intersex": "other",
    "": "unknown",
    "u": "unknown",
    "unknown": "unknown",
    "not recorded": "unknown",
}
_YES = {"yes", "y", "true", "1", "x"}
_NO = {"no", "n", "false", "0", ""}


def _normalised(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def guess_mapping(headers: list[str], fields: tuple[ImportField, ...] = FIELDS) -> dict[str, str]:
    by_name: dict[str, str | None] = {_normalised(header): header for header in headers}
    for field in fields:
        by_name.setdefault(_normalised(field.label), None)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for field in fields:
        names = (_normalised(field.label), *field.aliases)
        # A column is guessed for one field only (a visits file's "Date" is the visit's).
        mapping[field.name] = next(
            (header for n in names if (header := by_name.get(n)) and header not in taken), ""
        )
        taken.add(mapping[field.name])
    return mapping


def _check_permission(by: User) -> None:
    if not by.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied("Only clinic managers import patients and past visits.")


def patient_import_upload(
    *, by: User, file: UploadedFile, kind: str = PatientImport.Kind.PATIENTS
) -> PatientImport:
    """Keep an uploaded file (patients or past visits) and propose which of its columns
    is which."""
    _check_permission(by)
    limit = settings.IMPORT_MAX_MEGABYTES
    # Measured before reading: a 100 MB file is refused without holding it in memory.
    if file.size > limit * 1024 * 1024:
        raise ValidationError(
            {"file": f"The file is larger than {limit} MB; split it into smaller files."}
        )
    content = file.read()
    try:
        table = read_table(content)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    defaults = {}
    if kind == PatientImport.Kind.VISITS:
        from apps.imports.visits import default_location  # imports this module

        location = default_location()
        defaults = {"location": location.pk} if location else {}
    return PatientImport.objects.create(
        uploaded_by=by,
        kind=kind,
        defaults=defaults,
        # An upload always has a name; the type allows a file without one.
        file_name=(file.name or "")[:255],
        content=content,
        read_as=table.read_as,
        headers=table.headers,
        mapping=guess_mapping(table.headers, fields_for(kind)),
        rows_total=len(table.rows),
    )


def patient_import_map(
    *,
    by: User,
    patient_import: PatientImport,
    mapping: dict[str, str],
    date_format: str,
    defaults: dict[str, Any] | None = None,
) -> PatientImport:
    """Say which column holds which field (and, for visits, the clinician and location
    of rows naming none); the dry run has to be done again."""
    _check_permission(by)
    if patient_import.is_working or patient_import.status == PatientImport.Status.IMPORTED:
        raise ValidationError("This file is being worked on or was imported already.")
    errors: dict[str, str] = {}
    used: dict[str, str] = {}
    fields = fields_for(patient_import.kind)
    labels = {field.name: field.label for field in fields}
    for field in fields:
        header = mapping.get(field.name, "")
        if header and header not in patient_import.headers:
            errors[field.name] = "Choose one of the file's columns."
        elif not header and field.required:
            errors[field.name] = f"Choose the column that holds the {field.label.lower()}."
        elif header in used:
            errors[field.name] = f"“{header}” is already the {labels[used[header]].lower()}."
        if header:
            used.setdefault(header, field.name)
    if date_format not in PatientImport.DateFormat.values:
        errors["date_format"] = "Choose how the file writes dates."
    defaults = defaults or {}
    if patient_import.kind == PatientImport.Kind.VISITS:
        from apps.imports.visits import visit_defaults_check  # imports this module

        errors.update(visit_defaults_check(defaults))
        if not mapping.get("clinician") and not defaults.get("clinician"):
            errors["default_clinician"] = (
                "Choose the clinician column, or the clinician who gave these treatments."
            )
        if not mapping.get("external_id") and not all(
            mapping.get(name) for name in ("first_name", "last_name", "date_of_birth")
        ):
            errors["external_id"] = (
                "Choose the column of your patient id, or the first name, last name and "
                "date of birth columns."
            )
    if errors:
        raise ValidationError(errors)
    patient_import.mapping = {field.name: mapping.get(field.name, "") for field in fields}
    patient_import.date_format = date_format
    patient_import.defaults = defaults
    patient_import.status = PatientImport.Status.UPLOADED
    patient_import.problems = []
    patient_import.save(update_fields=["mapping", "date_format", "defaults", "status", "problems"])
    return patient_import


def _date(text: str, date_format: str) -> datetime.date:
    for fmt in dict.fromkeys((date_format, "%Y-%m-%d")):
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    example = datetime.date(2026, 3, 14).strftime(date_format)
    raise ValidationError(f"“{text}” is not a date written like {example}.")


def _row_fields(cells: dict[str, str], date_format: str) -> tuple[dict, dict[str, str]]:
    """The row as patient_register's fields, and the problems by our field name."""
    fields: dict = {}
    problems: dict[str, str] = {}
    for name, text in cells.items():
        if text.startswith("="):
            problems[name] = "This cell holds a spreadsheet formula; paste its value instead."
    for name in ("first_name", "last_name", "email", "phone"):
        if name in cells and name not in problems:
            fields[name] = cells[name]
    if "date_of_birth" not in problems:
        if not cells.get("date_of_birth"):
            problems["date_of_birth"] = "The date of birth is missing."
        else:
            try:
                fields["date_of_birth"] = _date(cells["date_of_birth"], date_format)
            except ValidationError as error:
                problems["date_of_birth"] = error.messages[0]
    if "sex" in cells and "sex" not in problems:
        sex = _SEX.get(cells["sex"].lower())
        if sex is None:
            problems["sex"] = f"“{cells['sex']}” is not a sex we record (female, male, other)."
        else:
            fields["sex"] = sex
    if "email_consent" in cells and "email_consent" not in problems:
        answer = cells["email_consent"].lower()
        if answer not in _YES | _NO:
            problems["email_consent"] = f"“{cells['email_consent']}”: write yes or no."
        else:
            fields["email_consent"] = answer in _YES
    return fields, problems


class _Progress:
    """Rows done, written on a connection of its own: the import's transaction is still
    open while the page asks how far it got."""

    def __init__(self, patient_import: PatientImport) -> None:
        self.pk = patient_import.pk
        self.connection = connections.create_connection("default")

    def __call__(self, rows_done: int, problems: int) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "UPDATE imports_patientimport SET rows_done = %s, problems_found = %s "
                "WHERE id = %s",
                [rows_done, problems, self.pk],
            )

    def close(self) -> None:
        self.connection.close()


@dataclass
class _AlreadyHere:
    """Who in the file is already registered, read in two queries for the whole file
    rather than two per row: external ids imported before, and (first name, last name,
    date of birth) of current patients born on the file's birth dates."""

    external_ids: set[str]
    people: set[tuple[str, str, datetime.date]]

    @classmethod
    def of(cls, rows: list[tuple[dict, str]]) -> "_AlreadyHere":
        ids = {external_id for _, external_id in rows if external_id}
        births = {fields["date_of_birth"] for fields, _ in rows if "date_of_birth" in fields}
        people = (
            Patient.objects.filter(date_of_birth__in=births, voided_at__isnull=True)
            .annotate(first=Lower("first_name"), last=Lower("last_name"))
            .values_list("first", "last", "date_of_birth")
        )
        return cls(
            external_ids=set(
                ImportedPatient.objects.filter(external_id__in=ids).values_list(
                    "external_id", flat=True
                )
            ),
            people={(first.strip(), last.strip(), born) for first, last, born in people},
        )

    def __contains__(self, row: tuple[dict, str]) -> bool:
        fields, external_id = row
        if external_id and external_id in self.external_ids:
            return True
        return _person(fields) in self.people


def _person(fields: dict) -> tuple:
    return (
        fields.get("first_name", "").strip().lower(),
        fields.get("last_name", "").strip().lower(),
        fields.get("date_of_birth"),
    )


def _refusal_problems(
    row: int,
    refusal: ValidationError | PossibleDuplicate,
    problem: Callable[[int, str | None, str], None],
    columns: dict[str, str],
) -> None:
    if isinstance(refusal, PossibleDuplicate):
        mrns = ", ".join(match.mrn for match in refusal.matches)
        problem(
            row,
            None,
            f"Possibly a patient already registered ({mrns}): check "
            "the name and date of birth, or register this one by hand.",
        )
        return
    for name, messages in refusal.message_dict.items():
        for message in messages:
            problem(row, name if name in columns else None, message)


def _walk(
    patient_import: PatientImport, table: Table, progress: Callable[[int, int], None]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Register every row (inside the caller's transaction). Returns the problems and
    the counts of new patients and of patients already here."""
    by = patient_import.uploaded_by
    columns = {name: header for name, header in patient_import.mapping.items() if header}
    index = {header: position for position, header in enumerate(table.headers)}
    problems: list[dict] = []
    seen: dict[tuple, int] = {}
    imported: list[ImportedPatient] = []
    new = already = 0

    def problem(row: int, name: str | None, message: str) -> None:
        column = columns.get(name, "") if name else ""
        problems.append({"row": row, "column": column, "message": message})

    parsed = []
    for row, values in table.rows:
        cells = {name: values[index[header]] for name, header in columns.items()}
        fields, row_problems = _row_fields(cells, patient_import.date_format)
        parsed.append((row, fields, cells.get("external_id", ""), row_problems))
    already_here = _AlreadyHere.of([(fields, external_id) for _, fields, external_id, _ in parsed])

    waiting: list[tuple[int, int, dict, str]] = []  # (rows done, row, fields, external id)
    for done, (row, fields, external_id, row_problems) in enumerate(parsed, start=1):
        for name, message in row_problems.items():
            problem(row, name, message)
        key = (external_id,) if external_id else _person(fields)
        if key in seen:
            problem(
                row,
                "external_id" if external_id else None,
                f"The same patient as row {seen[key]}; remove one of the two rows.",
            )
            continue
        seen[key] = row
        if row_problems:
            continue
        if (fields, external_id) in already_here:
            already += 1
        else:
            waiting.append((done, row, fields, external_id))

    # Registered a hundred at a time, by the same rules as one by one, and the page told
    # how far it got after each hundred. A refused hundred is saved by none, and the walk
    # goes on to find the problems of the rest; the caller then keeps nothing.
    for first in range(0, len(waiting), PROGRESS_EVERY):
        batch = waiting[first : first + PROGRESS_EVERY]
        try:
            patients = patient_register_many(by=by, people=[fields for _, _, fields, _ in batch])
        except RegistrationsRefused as refused:
            for position, refusal in sorted(refused.refusals.items()):
                _refusal_problems(batch[position][1], refusal, problem, columns)
        else:
            new += len(patients)
            imported.extend(
                ImportedPatient(
                    external_id=external_id, patient=patient, patient_import=patient_import
                )
                for (_, _, _, external_id), patient in zip(batch, patients, strict=True)
                if external_id
            )
        progress(batch[-1][0], len(problems))
    ImportedPatient.objects.bulk_create(imported, batch_size=1000)
    problems.sort(key=lambda found: found["row"])  # stable: a row's own order stays
    return problems, {"new_patients": new, "already_here": already}


def _run(patient_import_id: str | UUID, *, working: str, keep: bool) -> None:
    patient_import = (
        PatientImport.objects.select_related("uploaded_by")
        .filter(pk=patient_import_id, status=working)
        .first()
    )
    if patient_import is None:
        # Finished already (a repeated task) or never started: nothing to do.
        return
    table = read_table(bytes(patient_import.content))
    progress = _Progress(patient_import)
    try:
        with transaction.atomic():
            if patient_import.kind == PatientImport.Kind.VISITS:
                from apps.imports.visits import visit_walk  # imports this module

                problems, counts = visit_walk(patient_import, table, progress, parse_date=_date)
            else:
                problems, counts = _walk(patient_import, table, progress)
            if problems or not keep:
                transaction.set_rollback(True)
    finally:
        progress.close()
    if not keep:
        status = PatientImport.Status.CHECKED
    else:
        status = PatientImport.Status.FAILED if problems else PatientImport.Status.IMPORTED
    PatientImport.objects.filter(pk=patient_import.pk).update(
        status=status,
        rows_done=len(table.rows),
        problems=problems,
        problems_found=len(problems),
        **counts,
        finished_at=timezone.now(),
    )


def patient_import_check(*, patient_import_id: str | UUID) -> None:
    """The dry run: every row through the services, every problem noted, nothing kept."""
    _run(patient_import_id, working=PatientImport.Status.CHECKING, keep=False)


def patient_import_run(*, patient_import_id: str | UUID) -> None:
    """The import: all rows or none."""
    _run(patient_import_id, working=PatientImport.Status.IMPORTING, keep=True)


def _start(patient_import: PatientImport, *, from_status: tuple[str, ...], working: str) -> bool:
    started = PatientImport.objects.filter(pk=patient_import.pk, status__in=from_status).update(
        status=working, rows_done=0, problems_found=0
    )
    patient_import.refresh_from_db()
    return bool(started)


class _ImportStep(Protocol):
    """The dry run or the import, run here or by the worker."""

    def __call__(self, *, patient_import_id: str | UUID) -> None: ...


def _hand_over(
    patient_import: PatientImport, task: DjangoTask[[str], None], service: _ImportStep
) -> None:
    # Small files are done while the manager waits; large ones go to the worker and the
    # page shows its progress.
    if patient_import.rows_total <= settings.IMPORT_INLINE_MAX_ROWS:
        service(patient_import_id=patient_import.pk)
        patient_import.refresh_from_db()
    else:
        task.delay_on_commit(str(patient_import.pk))


def patient_import_check_start(*, by: User, patient_import: PatientImport) -> PatientImport:
    from apps.imports.tasks import patient_import_check_task  # the task module imports this

    _check_permission(by)
    if not _start(
        patient_import,
        from_status=(PatientImport.Status.UPLOADED, PatientImport.Status.CHECKED),
        working=PatientImport.Status.CHECKING,
    ):
        raise ValidationError("This file is being worked on or was imported already.")
    _hand_over(patient_import, patient_import_check_task, patient_import_check)
    return patient_import


def patient_import_start(*, by: User, patient_import: PatientImport) -> PatientImport:
    from apps.imports.tasks import patient_import_run_task  # the task module imports this

    _check_permission(by)
    if patient_import.status != PatientImport.Status.CHECKED or patient_import.problems:
        raise ValidationError("Check the file first; it can be imported once no row has a problem.")
    if not _start(
        patient_import,
        from_status=(PatientImport.Status.CHECKED,),
        working=PatientImport.Status.IMPORTING,
    ):
        raise ValidationError("This file is being worked on or was imported already.")
    _hand_over(patient_import, patient_import_run_task, patient_import_run)
    return patient_import
