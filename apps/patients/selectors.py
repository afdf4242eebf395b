"""Reads of patients and their medications, filtered by what the reader's role may see."""

import datetime
import re
from typing import TypeVar

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Expression,
    F,
    Func,
    IntegerField,
    Model,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Length, Lower
from django.db.models.lookups import Exact

from apps.accounts.models import User
from apps.patients.models import (
    CLINICAL_FIELDS,
    Medication,
    MedicationClass,
    Patient,
    name_letters,
    name_one_edit,
    patient_search_name,
    phone_digits_reversed,
)

# Forgiving name search: each word typed must be this close (pg_trgm word similarity,
# served by the trigram index) to a word of the patient's name. "jonh" is 0.4 from
# "john" and "smiht" 0.5 from "smith"; the extension's default 0.6 would miss both.
NAME_WORD_MATCH_THRESHOLD = 0.4

_MRN = re.compile(r"^EX\d{1,7}$", re.IGNORECASE)
# A phone number as staff type it: ASCII digits with + ( ) - . and spaces, at least six
# digits (fewer would list half the clinic).
_PHONE = re.compile(r"^\+?[0-9 ().\-]+$")
PHONE_MIN_DIGITS = 6
# Dates as staff type them: ISO (1980-03-14) or the US form (03/14/1980).
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
# Medications still taken first, then the most recently stopped.
_MEDICATION_ORDER = (F("stopped_on").desc(nulls_first=True), "name", "id")


def may_see_clinical(user: User) -> bool:
    return user.has_perm("patients.view_clinical")


Row = TypeVar("Row", bound=Model)


def may_open_patients(user: User) -> bool:
    return user.has_perm("patients.view_patient")


def patients_visible_to(user: User, *, include_voided: bool = False) -> QuerySet[Patient]:
    """Patients this user may open. Voided patients are left out unless asked for.

    Without `patients.view_clinical` the clinical columns are not even read."""
    if not may_open_patients(user):
        return Patient.objects.none()
    patients = Patient.objects.select_related("preferred_location")
    if not include_voided:
        patients = patients.filter(voided_at__isnull=True)
    if not may_see_clinical(user):
        patients = patients.defer(*CLINICAL_FIELDS)
    return patients


def of_visible_patients(
    rows: QuerySet[Row], user: User, *, include_voided: bool = True
) -> QuerySet[Row]:
    """Rows with a `patient` foreign key (visits, events, follow-ups) of the patients this
    user may open, by the rule of patients_visible_to. Voided patients' rows are kept by
    default: their records stay readable by link.

    No semi-join on the patients: the foreign key already says each row's patient exists,
    and `patient IN (SELECT ...)` probed the patients' key once per row read (10,000
    times for page 200 of the visit list) and added a relation for the planner to place
    (7 of the worklist's 9 ms per section went to planning)."""
    if not may_open_patients(user):
        return rows.none()
    if include_voided:
        return rows
    # NOT IN the few voided patients (a hashed list from their own index), not a join to
    # every patient: counting the day's 55,000 due follow-ups joined 100,000 patients in
    # three processes for 72 ms; this way one process takes 9 ms.
    return rows.exclude(patient__in=Patient.objects.filter(voided_at__isnull=False).values("pk"))


def _as_date(text: str) -> datetime.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    return None


def patients_matching(
    patients: QuerySet[Patient],
    *,
    mrn: str = "",
    date_of_birth: datetime.date | None = None,
    sex: str = "",
    preferred_location_id: int | None = None,
) -> QuerySet[Patient]:
    """Narrow a patient search to exact values of the identity: the API list's filters,
    applied to what its free-text search found."""
    if mrn:
        patients = patients.filter(mrn=mrn)
    if date_of_birth is not None:
        patients = patients.filter(date_of_birth=date_of_birth)
    if sex:
        patients = patients.filter(sex=sex)
    if preferred_location_id is not None:
        patients = patients.filter(preferred_location_id=preferred_location_id)
    return patients


def patient_search(*, query: str, user: User, include_voided: bool = False) -> QuerySet[Patient]:
    """Find patients by MRN, date of birth, e-mail, phone number or (forgivingly) by name.

    Each branch is index-backed: MRN (unique), date of birth, lower(email), the phone's
    digits from the end (so a number typed without its country code matches), and the
    trigram index on the full name, ranked best match first."""
    patients = patients_visible_to(user, include_voided=include_voided)
    # NUL cannot reach PostgreSQL; spaces are normalised so "John  Smith " still matches.
    query = " ".join(query.replace("\x00", "").split())
    if not query:
        return patients
    if _MRN.match(query):
        return patients.filter(mrn=query.upper())
    birth_date = _as_date(query)
    if birth_date is not None:
        return patients.filter(date_of_birth=birth_date)
    if "@" in query:
        return patients.alias(email_lower=Lower("email")).filter(email_lower=query.lower())
    digits = re.sub(r"[^0-9]", "", query)
    if _PHONE.match(query) and len(digits) >= PHONE_MIN_DIGITS:
        return patients.alias(phone_tail=phone_digits_reversed()).filter(
            phone_tail__startswith=digits[::-1]
        )
    # Every word typed must resemble a word of the name (in any order), so a typo in
    # each word is forgiven while "John Smith" does not list every John. A word that
    # trigrams miss because two letters are swapped ("Thmopson") is found by its letters;
    # one with a letter wrong, left out or doubled in a short name ("Lxe" for Lee) by the
    # words one letter shorter that the two share.
    _set_word_match_threshold()
    wanted = query.lower()
    patients = patients.alias(
        first_letters=name_letters("first_name"),
        last_letters=name_letters("last_name"),
        one_edit=name_one_edit(patient_search_name()),
    )
    for word in wanted.split():
        letters = "".join(sorted(word))
        patients = patients.filter(
            Q(TrigramWordSimilar(patient_search_name(), word))
            | Q(first_letters=letters)
            | Q(last_letters=letters)
            | Q(one_edit__overlap=name_one_edit(Value(word)))
        )
    # Rank first the names spelled with the very letters typed (an exact match, or a
    # swapped pair: "Jonh" for "John", which trigrams rank below "Jon"), then by
    # trigram similarity.
    words = wanted.split()
    same_letters = sum(
        (
            _one_if(_same_letters(part, word))
            for part in ("first_name", "last_name")
            for word in words
        ),
        start=Value(0),
    )
    return patients.annotate(
        same_letters=same_letters,
        match=TrigramSimilarity(patient_search_name(), wanted),
    ).order_by("-same_letters", "-match", "last_name", "first_name", "id")


def _translate(text: Expression, letters: Expression) -> Func:
    return Func(text, letters, Value(""), function="translate", output_field=CharField())


def _same_letters(field: str, word: str) -> Q:
    """Same length and the same set of letters: cheap C string functions only."""
    name = Lower(field)
    return (
        Q(Exact(Length(name), len(word)))
        & Q(Exact(_translate(name, Value(word)), ""))
        & Q(Exact(_translate(Value(word), name), ""))
    )


def _one_if(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _set_word_match_threshold() -> None:
    # The `%>` operator reads its threshold from the session. Set it on every name search
    # rather than once per connection: a setting made inside a transaction that is later
    # rolled back would silently fall back to the default.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
            [str(NAME_WORD_MATCH_THRESHOLD)],
        )


def possible_duplicates(
    *, first_name: str, last_name: str, date_of_birth: datetime.date, exclude_id: int | None = None
) -> list[Patient]:
    """Current patients with the same name (ignoring case and spaces) and birth date."""
    same = Patient.objects.filter(
        voided_at__isnull=True,
        date_of_birth=date_of_birth,
        first_name__iexact=first_name.strip(),
        last_name__iexact=last_name.strip(),
    ).only("id", "mrn", "first_name", "last_name", "date_of_birth")
    if exclude_id is not None:
        same = same.exclude(pk=exclude_id)
    return list(same.order_by("id"))


def person_key(first_name: str, last_name: str, date_of_birth: datetime.date) -> tuple:
    """Who a name and birth date point to, as possible_duplicates compares them."""
    return (first_name.strip().lower(), last_name.strip().lower(), date_of_birth)


def possible_duplicates_of(
    *, people: list[tuple[str, str, datetime.date]]
) -> dict[tuple, list[Patient]]:
    """possible_duplicates for many people in one query, by person_key."""
    found: dict[tuple, list[Patient]] = {}
    wanted = {person_key(*person) for person in people}
    same_birth = Patient.objects.filter(
        voided_at__isnull=True, date_of_birth__in={born for _, _, born in wanted}
    ).only("id", "mrn", "first_name", "last_name", "date_of_birth")
    for patient in same_birth.order_by("id"):
        # iexact compares the stored name as it is; only the name asked about is trimmed.
        key = (patient.first_name.lower(), patient.last_name.lower(), patient.date_of_birth)
        if key in wanted:
            found.setdefault(key, []).append(patient)
    return found


def patient_medications(*, patient: Patient) -> QuerySet[Medication]:
    """Current medications first, then stopped ones, most recently stopped first."""
    return (
        Medication.objects.filter(patient=patient)
        .select_related("medication_class")
        .order_by(*_MEDICATION_ORDER)
    )


def medications_prefetch() -> Prefetch:
    return Prefetch(
        "medications",
        queryset=Medication.objects.select_related("medication_class").order_by(*_MEDICATION_ORDER),
    )


def medication_classes() -> QuerySet[MedicationClass]:
    return MedicationClass.objects.order_by("name")
