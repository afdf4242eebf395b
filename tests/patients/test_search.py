"""Patient search: forgiving by name, exact by MRN, birth date, e-mail and phone,
index-backed."""

import datetime

import pytest
from django.db import connection

from apps.patients.selectors import patient_search, patients_visible_to
from apps.patients.services import patient_void
from tests.factories import PatientFactory


@pytest.fixture
def john(db):
    return PatientFactory(
        first_name="John",
        last_name="Smith",
        date_of_birth=datetime.date(1961, 4, 2),
        email="John.Smith@Example.com",
    )


@pytest.fixture
def others(db):
    return [
        PatientFactory(first_name="Mary", last_name="Jones"),
        PatientFactory(first_name="Ahmed", last_name="Khan"),
        PatientFactory(first_name="Joan", last_name="Smythe-Oakley"),
    ]


def test_misspelled_name_finds_the_patient(john, others, clinician):
    found = list(patient_search(query="Jonh Smiht", user=clinician))
    assert found[0] == john
    assert others[0] not in found and others[1] not in found


def test_swapped_letters_rank_the_intended_name_first(john, clinician):
    # Trigrams alone rank "Jon" and "Joe" above "John" for "Jonh".
    jon = PatientFactory(first_name="Jon", last_name="Smith")
    joe = PatientFactory(first_name="Joe", last_name="Smith")
    found = list(patient_search(query="Jonh Smiht", user=clinician))
    assert found[0] == john
    assert {jon, joe} <= set(found)


def test_letters_in_the_wrong_order_are_forgiven(john, others, clinician):
    # Trigrams miss these: too few three-letter runs survive the swaps.
    for typed in ["Jhon Smtih", "Smtih", "jonh"]:
        assert john in list(patient_search(query=typed, user=clinician)), typed


@pytest.mark.parametrize(
    "typed",
    ["Lxe", "Lea", "Le", "Leee", "Jonh Lre", "Collsns", "Cllins", "Collinns", "Collnis"],
)
def test_one_letter_wrong_left_out_or_doubled_is_forgiven_in_a_short_name(clinician, typed):
    # Trigrams share too little of a three-letter name with "Lxe" or "Le" to match.
    lee = PatientFactory(first_name="John", last_name="Lee")
    collins = PatientFactory(first_name="Ralph", last_name="Collins")
    found = set(patient_search(query=typed, user=clinician))
    assert lee in found or collins in found, typed


def test_two_letters_wrong_in_a_short_name_is_another_name(clinician):
    PatientFactory(first_name="John", last_name="Lee")
    assert list(patient_search(query="Lxy", user=clinician)) == []


def test_name_search_ignores_case_and_extra_spaces(john, others, clinician):
    assert list(patient_search(query="  SMITH   john ", user=clinician))[:1] == [john]


def test_best_match_comes_first(john, clinician):
    johnny = PatientFactory(first_name="Johnny", last_name="Smithson")
    found = list(patient_search(query="John Smith", user=clinician))
    assert found == [john, johnny]


def test_by_mrn_in_any_case(john, others, clinician):
    assert list(patient_search(query=john.mrn.lower(), user=clinician)) == [john]


@pytest.mark.parametrize("typed", ["1961-04-02", "04/02/1961"])
def test_by_date_of_birth(john, others, clinician, typed):
    assert list(patient_search(query=typed, user=clinician)) == [john]


def test_by_email_ignoring_case(john, others, clinician):
    assert list(patient_search(query="john.smith@example.COM", user=clinician)) == [john]


@pytest.mark.parametrize("typed", ["+1 (555) 014-2", "555 0142", "5550142", "1-555-0142"])
def test_by_phone_number_as_typed_with_or_without_the_country_code(clinician, typed):
    ada = PatientFactory(first_name="Ada", phone="+1 555-0142")
    PatientFactory(first_name="Bob", phone="+1 555-0143")
    PatientFactory(first_name="Cy", phone="+44 20 5550 1420")
    assert list(patient_search(query=typed, user=clinician)) == [ada]


def test_a_few_digits_are_not_a_phone_search(clinician):
    PatientFactory(first_name="Ada", phone="+1 555-0142")
    # Five digits would list half the clinic; nor is "٥٥٥٠١٤٢" (non-ASCII digits) a phone.
    assert list(patient_search(query="50142", user=clinician)) == []
    assert list(patient_search(query="٥٥٥٠١٤٢", user=clinician)) == []


def test_voided_patients_hidden_unless_asked_for(john, clinician):
    patient_void(by=clinician, patient=john, reason="Registered twice")
    assert list(patient_search(query="John Smith", user=clinician)) == []
    assert list(patients_visible_to(clinician)) == []
    assert list(patient_search(query="John Smith", user=clinician, include_voided=True)) == [john]


def test_nobody_without_the_permission_sees_patients(john, outsider):
    assert list(patient_search(query="John Smith", user=outsider)) == []
    assert list(patients_visible_to(outsider)) == []


def test_front_desk_reads_no_clinical_column(john, front_desk, django_assert_num_queries):
    patient = patients_visible_to(front_desk).get(pk=john.pk)
    assert {"allergies", "conditions", "immunocompromised"} <= patient.get_deferred_fields()


def test_nul_character_in_a_query_is_harmless(john, clinician):
    assert list(patient_search(query="John\x00 Smith", user=clinician))[:1] == [john]


_MANY_PATIENTS = """
    INSERT INTO patients_patient (
        first_name, last_name, date_of_birth, sex, email, phone, email_consent,
        immunocompromised, immunocompromised_note, cold_sore_history, allergies, conditions,
        void_reason, created_at, updated_at)
    SELECT 'First' || n, 'Last' || (n %% 997), DATE '1940-01-01' + (n %% 20000),
           'unknown', 'p' || n || '@example.com', '', false,
           false, '', false, '', '', '', now(), now()
    FROM generate_series(1, %s) AS n
"""


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_every_kind_of_search_uses_an_index(john, clinician):
    # Enough rows that reading the whole table is not the cheapest plan.
    with connection.cursor() as cursor:
        cursor.execute(_MANY_PATIENTS, [5_000])
        cursor.execute("ANALYZE patients_patient")
    for query, index in [
        ("Jonh Smiht", "patient_name_trgm_idx"),
        ("Jhon Smtih", "patient_last_letters_idx"),
        ("Smitx", "patient_name_one_edit_idx"),
        ("someone@example.com", "patient_email_lower_idx"),
        ("1961-04-02", "patient_dob_idx"),
        ("EX0000001", "patients_patient_mrn"),
        ("555 0142", "patient_phone_tail_idx"),
    ]:
        plan = _plan(patient_search(query=query, user=clinician))
        assert index in plan, (query, plan)
        assert "Seq Scan on patients_patient" not in plan, (query, plan)


def test_a_new_name_goes_into_the_name_indexes_at_once(db):
    PatientFactory.create_batch(3)

    with connection.cursor() as cursor:
        # The number of pages of names queued for a later vacuum, which searches read row
        # by row; moving them into the index now returns how many there were.
        for index in ("patient_name_trgm_idx", "patient_name_one_edit_idx"):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
            assert cursor.fetchone() == (0,), index


def test_a_later_page_of_a_name_search_keeps_the_ranking(clinician):
    from exotrack.paging import list_page

    for first, last in [("Ann", "Smith"), ("Bo", "Smyth"), ("Cy", "Smith"), ("Di", "Smiths")]:
        PatientFactory(first_name=first, last_name=last)
    ranked = list(patient_search(query="Smith", user=clinician))

    pages = [list(list_page(patient_search(query="Smith", user=clinician), 3, n)) for n in "12"]

    assert len(ranked) == 4 and pages == [ranked[:3], ranked[3:]]
