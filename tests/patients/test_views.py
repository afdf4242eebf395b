"""Staff pages for patients: list and search, register (with the duplicate warning),
patient page, edit, void, and the medications card."""

import datetime

import pytest
from django.urls import reverse

from apps.audit.models import AccessLog
from apps.patients.models import Medication, Patient
from tests.builders import assert_nothing_changed
from tests.factories import (
    DoseFactory,
    LocationFactory,
    LotFactory,
    MedicationClassFactory,
    MedicationFactory,
    PatientFactory,
    VisitFactory,
)

CLINICAL_MARKERS = ["Risk profile", "Allergies", "Immunocompromised", "Cold-sore", "medication"]


@pytest.fixture
def patient(db):
    return PatientFactory(
        first_name="John",
        last_name="Smith",
        date_of_birth=datetime.date(1961, 4, 2),
        allergies="Penicillin",
        conditions="Osteoarthritis",
        immunocompromised=True,
        immunocompromised_note="On rituximab",
    )


def _new_patient(**extra) -> dict:
    return {
        "first_name": "John",
        "last_name": "Smith",
        "date_of_birth": "1961-04-02",
        "sex": "male",
        "email": "",
        "phone": "",
        **extra,
    }


# --- list and search ---------------------------------------------------------------


def test_list_searches_forgivingly_and_logs_the_search(client, clinician, patient):
    PatientFactory(first_name="Mary", last_name="Jones")
    client.force_login(clinician)
    response = client.get(reverse("patients:list"), {"q": "Jonh Smiht"})
    assert response.status_code == 200
    body = response.content.decode()
    assert patient.mrn in body and "Jones" not in body
    entry = AccessLog.objects.get(action="search")
    assert entry.user == clinician and entry.detail["query"] == "Jonh Smiht"


def test_list_hides_voided_patients_unless_asked(client, clinician, patient):
    Patient.objects.filter(pk=patient.pk).update(voided_at=datetime.datetime.now(datetime.UTC))
    client.force_login(clinician)
    assert patient.mrn not in client.get(reverse("patients:list")).content.decode()
    shown = client.get(reverse("patients:list"), {"voided": "1"}).content.decode()
    assert patient.mrn in shown and "Voided" in shown


def test_list_needs_the_permission(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("patients:list")).status_code == 403


def test_list_query_count_is_the_same_for_one_and_fifty(
    client, clinician, django_assert_num_queries
):
    client.force_login(clinician)
    PatientFactory()
    # session, user, user's and group permissions (2), count, access-log insert, groups
    # for the header's role label, and the page of patients with their locations.
    with django_assert_num_queries(8):
        assert client.get(reverse("patients:list")).status_code == 200
    PatientFactory.create_batch(49, preferred_location=LocationFactory())
    with django_assert_num_queries(8):
        response = client.get(reverse("patients:list"))
    assert len(response.context["page"].object_list) == 50


# --- register --------------------------------------------------------------------


def test_register_then_land_on_the_patient(client, front_desk):
    client.force_login(front_desk)
    no_address = client.post(reverse("patients:add"), _new_patient(email_consent="on"))
    assert "Reminder e-mails need an e-mail address" in no_address.content.decode()
    assert not Patient.objects.exists()
    response = client.post(
        reverse("patients:add"), _new_patient(email_consent="on", email="ada@example.com")
    )
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("patients:detail", args=[patient.pk])
    assert patient.email_consent_given_at is not None and patient.created_by == front_desk


def test_same_name_and_birth_date_warns_then_registers_anyway(client, front_desk, patient):
    client.force_login(front_desk)
    response = client.post(reverse("patients:add"), _new_patient())
    body = response.content.decode()
    assert response.status_code == 200
    assert "Possible duplicate" in body and patient.mrn in body
    assert "Register anyway" in body
    assert Patient.objects.count() == 1
    # The warning page resubmits the same form with the confirmation set.
    assert 'name="confirm_duplicate" value="on"' in body

    response = client.post(reverse("patients:add"), _new_patient(confirm_duplicate="on"))
    assert response.status_code == 302
    assert Patient.objects.count() == 2


def test_register_with_bad_input_shows_field_errors(client, front_desk):
    client.force_login(front_desk)
    response = client.post(
        reverse("patients:add"), _new_patient(first_name="", email="nope", date_of_birth="")
    )
    form = response.context["form"]
    assert {"first_name", "email", "date_of_birth"} <= set(form.errors)
    assert not Patient.objects.exists()
    # One summary at the top, naming each field with a link to it, before the fields.
    page = response.content.decode()
    summary = page.index('class="alert alert-error error-summary"')
    assert page.count("There is a problem") == 1
    for field in ("first_name", "email", "date_of_birth"):
        link = page.index(f'<a href="#id_{field}">')
        assert summary < link < page.index(f'id="id_{field}"')


def test_manager_may_not_register(client, manager):
    client.force_login(manager)
    assert client.get(reverse("patients:add")).status_code == 403


# --- the patient page -------------------------------------------------------------


def test_patient_page_shows_everything_to_a_clinician_and_logs_the_view(client, clinician, patient):
    MedicationFactory(patient=patient, name="Lisinopril")
    client.force_login(clinician)
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    body = response.content.decode()
    assert "Risk profile" in body and "Penicillin" in body and "On rituximab" in body
    assert "Lisinopril" in body
    assert "Treatment timeline" in body
    entry = AccessLog.objects.get(action="view")
    assert (entry.user, entry.patient_id, entry.subject) == (clinician, patient.pk, "patient")


def _treated(patient, lot, count: int) -> None:
    for _ in range(count):
        MedicationFactory(patient=patient)
        DoseFactory(visit=VisitFactory(patient=patient), lot=lot)


def test_patient_page_query_count_is_the_same_for_one_and_fifty_rows(
    client, clinician, patient, django_assert_num_queries
):
    client.force_login(clinician)
    url = reverse("patients:detail", args=[patient.pk])
    lot = LotFactory()
    _treated(patient, lot, 1)
    client.get(url)  # warm the content-type cache
    # session, user, permissions (2), patient, access-log insert, medications, groups
    # (header), medication classes (add form), visits, their doses, their warnings, lots
    # received (the session is written at most once a minute, not on this read).
    # Outcomes section: treated sites with their visits, their assessments (2).
    # Follow-ups section: the patient's follow-ups (1).
    # Adverse-events section: the patient's events with their types (1).
    # Medication-flags section: the patient's flags, medications of the raise form (2).
    # Consents section: signed consents, signing links not used yet (2); photos section:
    # the treated sites that have photos (1). Injection-maps section: the doses of the
    # latest visits with points marked (1; none here, so no query for their points).
    expected = 13 + 2 + 1 + 1 + 2 + 2 + 1 + 1
    with django_assert_num_queries(expected):
        client.get(url)
    _treated(patient, lot, 49)
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert len(response.context["medications"]) == 50
    assert len(response.context["visits"]) == 50


def test_unknown_patient_is_404(client, clinician):
    client.force_login(clinician)
    assert client.get(reverse("patients:detail", args=[999999])).status_code == 404


def test_history_links_only_for_history_readers(client, manager, clinician, patient):
    medication = MedicationFactory(patient=patient)
    links = [
        reverse("audit:history", args=["patients", "patient", patient.pk]),
        reverse("audit:history", args=["patients", "medication", medication.pk]),
    ]
    url = reverse("patients:detail", args=[patient.pk])
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert all(link in page for link in links)
    client.force_login(clinician)
    page = client.get(url).content.decode()
    assert not any(link in page for link in links)


# --- front desk sees no clinical field anywhere -------------------------------------


def test_front_desk_sees_no_clinical_field_anywhere(client, front_desk, patient):
    MedicationFactory(patient=patient, name="Lisinopril")
    client.force_login(front_desk)
    pages = [
        reverse("patients:list"),
        reverse("patients:list") + "?q=John+Smith",
        reverse("patients:detail", args=[patient.pk]),
        reverse("patients:edit", args=[patient.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert patient.last_name in body, url
        for secret in [
            "Penicillin",
            "Osteoarthritis",
            "rituximab",
            "Lisinopril",
            *CLINICAL_MARKERS,
        ]:
            assert secret not in body, (url, secret)
    form = client.get(reverse("patients:edit", args=[patient.pk])).context["form"]
    # Opening the record, to read or to edit, is logged.
    assert AccessLog.objects.filter(
        user=front_desk, patient_id=patient.pk, subject="patient-edit"
    ).exists()
    assert AccessLog.objects.filter(user=front_desk, patient_id=patient.pk, subject="patient")
    assert not {"allergies", "conditions", "immunocompromised", "cold_sore_history"} & set(
        form.fields
    )


def test_front_desk_edit_cannot_slip_in_clinical_fields(client, front_desk, patient):
    client.force_login(front_desk)
    data = _new_patient(phone="+1 555 0142", allergies="None", immunocompromised="")
    response = client.post(reverse("patients:edit", args=[patient.pk]), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "+1 555 0142"
    assert patient.allergies == "Penicillin" and patient.immunocompromised is True


def test_front_desk_cannot_reach_medications(client, front_desk, patient):
    client.force_login(front_desk)
    url = reverse("patients:medication-add", args=[patient.pk])
    with assert_nothing_changed():
        assert client.post(url, {"name": "X"}).status_code == 403


# --- edit and void ---------------------------------------------------------------


def test_clinician_edits_the_risk_profile(client, clinician, patient):
    client.force_login(clinician)
    data = _new_patient(cold_sore_history="on", allergies="Latex", conditions="")
    response = client.post(reverse("patients:edit", args=[patient.pk]), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.cold_sore_history and patient.allergies == "Latex"
    assert patient.immunocompromised is False  # unticked box


def test_void_with_reason_hides_the_patient(client, clinician, patient):
    client.force_login(clinician)
    url = reverse("patients:void", args=[patient.pk])
    response = client.post(url, {"reason": ""})
    assert "reason" in response.context["form"].errors
    response = client.post(url, {"reason": "Registered twice"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.is_voided and patient.void_reason == "Registered twice"
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Voided" in page and "Registered twice" in page
    assert client.get(url).status_code == 404  # already voided: nothing to void


def test_nurse_and_front_desk_may_not_void(client, nurse, front_desk, patient):
    for user in (nurse, front_desk):
        client.force_login(user)
        assert (
            client.post(reverse("patients:void", args=[patient.pk]), {"reason": "x"}).status_code
            == 403
        )


# --- medications card --------------------------------------------------------------


def test_add_medication_with_htmx_returns_the_card(client, nurse, patient):
    watched = MedicationClassFactory(code="antihypertensive")
    client.force_login(nurse)
    response = client.post(
        reverse("patients:medication-add", args=[patient.pk]),
        {"name": "Amlodipine", "medication_class": watched.pk, "dose_text": "5 mg"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="card" id="medications"')
    assert "Amlodipine" in body and "watched" in body and "Amlodipine added." in body
    assert Medication.objects.get().created_by == nurse


def test_add_medication_errors_stay_in_the_card(client, nurse, patient):
    client.force_login(nurse)
    response = client.post(
        reverse("patients:medication-add", args=[patient.pk]),
        {"name": "", "medication_class": ""},
        HTTP_HX_REQUEST="true",
    )
    assert "Medication not added" in response.content.decode()
    assert set(response.context["medication_form"].errors) == {"name", "medication_class"}
    assert not Medication.objects.exists()


def test_stop_medication_without_htmx_redirects(client, nurse, patient):
    medication = MedicationFactory(patient=patient, started_on=datetime.date(2022, 1, 1))
    client.force_login(nurse)
    url = reverse("patients:medication-stop", args=[patient.pk, medication.pk])
    response = client.post(url, {"stopped_on": "2021-01-01"})
    assert response.status_code == 302
    medication.refresh_from_db()
    assert medication.stopped_on is None
    client.post(url, {"stopped_on": "2026-01-05"})
    medication.refresh_from_db()
    assert medication.stopped_on == datetime.date(2026, 1, 5)


def test_medication_of_another_patient_is_404(client, nurse, patient):
    other = MedicationFactory()
    client.force_login(nurse)
    url = reverse("patients:medication-stop", args=[patient.pk, other.pk])
    with assert_nothing_changed():
        assert client.post(url, {"stopped_on": "2026-01-05"}).status_code == 404


def test_stop_medication_with_htmx_shows_the_problem_in_the_card(client, nurse, patient):
    medication = MedicationFactory(patient=patient, started_on=datetime.date(2022, 1, 1))
    client.force_login(nurse)
    url = reverse("patients:medication-stop", args=[patient.pk, medication.pk])
    response = client.post(url, {"stopped_on": "2021-01-01"}, HTTP_HX_REQUEST="true")
    assert "not stopped" in response.content.decode()
    medication.refresh_from_db()
    assert medication.stopped_on is None
    response = client.post(url, {"stopped_on": "2026-01-05"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "stopped." in body and "2026-01-05" in body
