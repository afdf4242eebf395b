import pghistory
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Cast, Concat, Lower, LPad

from exotrack.models import Recorded, Voidable

# `watched` decides who gets a medication-adjustment flag: a change to it is history.
GENERIC_FLAG_REASON = (
    "Restored function may mean less of this medication is needed: review the dose "
    "with the prescriber."
)


@pghistory.track()
class MedicationClass(models.Model):
    """A class of medication the clinic watches (seeded from seeds/medication_classes.toml).

    Treatment can restore function so that a patient's usual dose becomes too much:
    `watched` classes raise a medication-adjustment flag after each visit."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    watched = models.BooleanField(default=False)
    review_within_days = models.PositiveSmallIntegerField(
        default=14, help_text="How soon a clinician reviews an adjustment flag for this class."
    )
    guidance = models.TextField(blank=True)
    # Not one sentence for every class: "less may be needed" is wrong for a transplant
    # patient's tacrolimus, which is reviewed with the prescriber and never cut by us.
    flag_reason = models.CharField(
        "what the flag says",
        max_length=300,
        default=GENERIC_FLAG_REASON,
        help_text="Shown on each adjustment flag for this class, after the day of treatment.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "medication classes"

    def __str__(self) -> str:
        return self.name


def _next_mrn():
    # EX0000001, EX0000002 ... from a database sequence: unique and gap-tolerant
    # even when two desks register patients at the same moment.
    return Concat(
        Value("EX"),
        LPad(
            Cast(Func(Value("patients_mrn_seq"), function="nextval"), models.TextField()),
            7,
            Value("0"),
        ),
        output_field=models.CharField(),
    )


def patient_search_name():
    """lower(first_name || ' ' || last_name): immutable, so a trigram index can hold it.

    The search query must use this very expression for PostgreSQL to use the index."""
    return Lower(Concat(F("first_name"), Value(" "), F("last_name")))


def name_letters(field: str) -> Func:
    """The letters of a name part, lower-cased and sorted ("John" and "Jonh" -> "hjno").

    patient_name_letters() is created by migration 0004; indexed, it lets the search
    find a name typed with two letters swapped, which trigrams do not forgive."""
    return Func(F(field), function="patient_name_letters", output_field=models.CharField())


def name_one_edit(text) -> Func:
    """Each word of a name, lower-cased, and each word with one letter left out ("Lee" ->
    lee, ee, le). Two words share one of these when one letter was left out, typed twice
    or typed wrong ("Lxe", "Le", "Leee" all share "le" with "Lee"), which trigrams miss
    in a short name.

    patient_name_one_edit() is created by migration 0009; a GIN index holds it for the
    full name, and the search compares it with the same function of the word typed."""
    return Func(text, function="patient_name_one_edit", output_field=ArrayField(models.TextField()))


def phone_digits_reversed() -> Func:
    """The phone number's digits, last digit first ("+1 555-0142" -> "24105551"). An
    index on it with text_pattern_ops serves "ends with these digits" as a prefix match,
    so "555 0142" finds "+1 (555) 0142" without a scan."""
    digits = Func(
        F("phone"),
        Value(r"[^0-9]"),
        Value(""),
        Value("g"),
        function="regexp_replace",
        output_field=models.CharField(),
    )
    return Func(digits, function="reverse", output_field=models.CharField())


# Fields only staff with `patients.view_clinical` may see or change.
CLINICAL_FIELDS = (
    "immunocompromised",
    "immunocompromised_note",
    "cold_sore_history",
    "allergies",
    "conditions",
)


@pghistory.track()
class Patient(Recorded, Voidable):
    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other / intersex"
        UNKNOWN = "unknown", "Not recorded"

    # Identity and contact: the front desk sees and edits these.
    mrn = models.CharField(
        "MRN", max_length=20, unique=True, editable=False, db_default=_next_mrn()
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email_consent = models.BooleanField("consents to reminder e-mails", default=False)
    email_consent_given_at = models.DateTimeField(null=True, blank=True)
    email_consent_withdrawn_at = models.DateTimeField(null=True, blank=True)
    preferred_location = models.ForeignKey(
        "clinic.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # Risk profile: clinical, hidden from the front desk.
    immunocompromised = models.BooleanField(default=False)
    immunocompromised_note = models.TextField(blank=True)
    cold_sore_history = models.BooleanField("cold-sore (HSV) history", default=False)
    allergies = models.TextField(blank=True)
    conditions = models.TextField(blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        permissions = [
            ("view_clinical", "Can see and edit a patient's clinical fields"),
            ("void_patient", "Can void a patient registered by mistake"),
        ]
        indexes = [
            models.Index(fields=["date_of_birth"], name="patient_dob_idx"),
            models.Index(fields=["email"], name="patient_email_idx"),
            # Forgiving name search ("Jonh Smiht" finds John Smith) at 100,000 patients.
            # Both name indexes take each new name at once (fastupdate off): a search would
            # otherwise read up to 4 MB of names queued since the last vacuum, row by row
            # (twice the time at 100,000 patients), to spare a registration about 0.15 ms.
            GinIndex(
                OpClass(patient_search_name(), name="gin_trgm_ops"),
                name="patient_name_trgm_idx",
                fastupdate=False,
            ),
            # A name part typed with its letters in the wrong order.
            models.Index(name_letters("first_name"), name="patient_first_letters_idx"),
            models.Index(name_letters("last_name"), name="patient_last_letters_idx"),
            # A name part typed with one letter wrong, left out or doubled.
            GinIndex(
                name_one_edit(patient_search_name()),
                name="patient_name_one_edit_idx",
                fastupdate=False,
            ),
            # E-mail search ignores case.
            models.Index(Lower("email"), name="patient_email_lower_idx"),
            # Phone search by the digits typed, matched from the end of the number.
            models.Index(
                OpClass(phone_digits_reversed(), name="text_pattern_ops"),
                name="patient_phone_tail_idx",
            ),
            # The patient list pages in name order, with or without the voided patients
            # (so not a partial index: voided ones are few, a filter skips them).
            models.Index(fields=["last_name", "first_name", "id"], name="patient_by_name_idx"),
            # The few voided patients, whose records lists leave out (of_visible_patients).
            models.Index(
                fields=["id"], name="patient_voided_idx", condition=Q(voided_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@pghistory.track()
class Medication(Recorded):
    """A medication the patient takes (or took: stopped_on set)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=120)
    medication_class = models.ForeignKey(
        MedicationClass, on_delete=models.PROTECT, related_name="medications"
    )
    dose_text = models.CharField(max_length=120, blank=True, help_text="e.g. 50 mg once daily")
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stopped_on__isnull=True)
                | models.Q(started_on__isnull=True)
                | models.Q(stopped_on__gte=models.F("started_on")),
                name="medication_stops_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name
