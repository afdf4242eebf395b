"""Imports from a clinic's spreadsheet (its patients, or its past visits with doses):
the uploaded file, its column mapping, the dry run's problems and the import's outcome."""

import uuid

from django.conf import settings
from django.db import models


class PatientImport(models.Model):
    class Kind(models.TextChoices):
        PATIENTS = "patients", "Patients"
        VISITS = "visits", "Past visits with doses"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Columns to match"
        CHECKING = "checking", "Checking"
        CHECKED = "checked", "Checked"
        IMPORTING = "importing", "Importing"
        IMPORTED = "imported", "Imported"
        FAILED = "failed", "Not imported"

    class DateFormat(models.TextChoices):
        ISO = "%Y-%m-%d", "2026-03-14 (year-month-day)"
        US = "%m/%d/%Y", "03/14/2026 (month/day/year)"
        EUROPEAN = "%d/%m/%Y", "14/03/2026 (day/month/year)"
        DOTTED = "%d.%m.%Y", "14.03.2026 (day.month.year)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PATIENTS)
    # The file as uploaded (size-limited), so the worker reads what the manager sent.
    content = models.BinaryField()
    # How the file was read, e.g. "CSV, UTF-8, separated by ;".
    read_as = models.CharField(max_length=120, blank=True)
    headers = models.JSONField(default=list)
    # Our field name -> the file's column header ("" when the file has no such column).
    mapping = models.JSONField(default=dict)
    date_format = models.CharField(
        max_length=10, choices=DateFormat.choices, default=DateFormat.ISO
    )
    # A visits file: {"clinician": user pk, "location": location pk} for rows naming none.
    defaults = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # [{"row": 3, "column": "DOB", "message": "..."}], file row numbers (header = 1).
    problems = models.JSONField(default=list, blank=True)
    problems_found = models.PositiveIntegerField(default=0)
    new_patients = models.PositiveIntegerField(default=0)
    new_visits = models.PositiveIntegerField(default=0)
    new_doses = models.PositiveIntegerField(default=0)
    # Patients, or for a visits file doses, already here and left as they are.
    already_here = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        permissions = [("import_patients", "Can import patients from a spreadsheet")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_working(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)

    @property
    def adds_something(self) -> bool:
        return (self.new_doses if self.kind == self.Kind.VISITS else self.new_patients) > 0


class ImportedPatient(models.Model):
    """A patient an import registered, under the clinic's own id for them: a second
    upload of the same file finds them here and adds nothing."""

    external_id = models.CharField(max_length=80, unique=True)
    patient = models.OneToOneField("patients.Patient", on_delete=models.PROTECT, related_name="+")
    patient_import = models.ForeignKey(PatientImport, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.external_id} -> patient {self.patient_id}"


class ImportedDose(models.Model):
    """A past dose an import recorded, under its key (patient, visit date and time, site,
    side and lot): a second upload of the same file finds it here and adds nothing."""

    key = models.CharField(max_length=200, unique=True)
    dose = models.OneToOneField("treatments.Dose", on_delete=models.PROTECT, related_name="+")
    patient_import = models.ForeignKey(PatientImport, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.key} -> dose {self.dose_id}"
