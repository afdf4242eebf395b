"""Reads that showed patients without an access-log row: the stock ledger (a movement's
reason names a visit's patient) and the recipients of a lot, now logged with the
patients they show."""

import pytest
from django.urls import reverse

from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.patients.models import Patient
from apps.treatments.services import visit_void
from tests.builders import given, knee_dose, login_api, record
from tests.factories import (
    AdverseEventFactory,
    LocationFactory,
    LotFactory,
    MedicationFlagFactory,
    PatientFactory,
    TreatmentSiteFactory,
)

pytestmark = pytest.mark.django_db


def test_stock_ledger_reads_are_logged(api_client, manager):
    lot = LotFactory()
    client = login_api(api_client, manager)
    movement = client.get("/api/v1/stock-movements/").json()["results"][0]
    client.get(f"/api/v1/stock-movements/{movement['id']}/")

    logged = AccessLog.objects.order_by("id")
    assert [(e.action, e.subject, e.object_id) for e in logged] == [
        ("api_read", "stock-movements", None),
        ("api_read", "stock-movement", movement["id"]),
    ]
    assert lot.pk == movement["lot"]


@pytest.fixture
def ledger_naming_patients(clinician):
    """A lot whose ledger names two patients: vials used at Ada's visit, and vials used
    and given back at Bob's, voided."""
    lot, site, room = LotFactory(), TreatmentSiteFactory(), LocationFactory()
    ada, bob = PatientFactory(), PatientFactory()
    for patient in (ada, bob):
        visit = record(
            by=clinician,
            patient=patient,
            location=room,
            clinician=clinician,
            doses=[knee_dose(site, lot)],
        )
    visit_void(visit=visit, by=clinician, reason="Meant for another patient")
    return lot, ada, sorted([ada.pk, bob.pk])


def test_a_page_of_the_stock_ledger_logs_the_patients_it_names(
    api_client, manager, ledger_naming_patients
):
    lot, ada, patients = ledger_naming_patients
    client = login_api(api_client, manager)
    movements = client.get("/api/v1/stock-movements/", {"lot": lot.pk}).json()["results"]
    used_at_adas = next(m for m in movements if m["reason"].endswith(ada.mrn))
    client.get(f"/api/v1/stock-movements/{used_at_adas['id']}/")

    page, one = AccessLog.objects.order_by("id")
    assert page.detail["patients"] == patients
    assert (one.subject, one.patient_id) == ("stock-movement", ada.pk)


def test_the_lot_page_logs_the_patients_its_ledger_names(client, manager, ledger_naming_patients):
    lot, _, patients = ledger_naming_patients
    client.force_login(manager)
    assert client.get(reverse("inventory:lot-detail", args=[lot.pk])).status_code == 200

    (log,) = AccessLog.objects.filter(subject="stock-movements")
    assert (log.action, log.object_id, log.detail["patients"]) == ("view", lot.pk, patients)


@pytest.fixture
def lot_with_recipients():
    lot = LotFactory()
    ada, bob = PatientFactory(), PatientFactory()
    given(lot, ada, days_ago=9)
    given(lot, bob, days_ago=2)
    given(lot, PatientFactory(), days_ago=5, voided=True)
    return lot, sorted([ada.pk, bob.pk])


def test_the_recipients_api_logs_the_patients_of_its_page(api_client, nurse, lot_with_recipients):
    lot, patients = lot_with_recipients
    login_api(api_client, nurse).get(f"/api/v1/lots/{lot.pk}/recipients/", {"page_size": 1})

    (log,) = AccessLog.objects.filter(subject="lot-recipients")
    assert log.detail["patients"] == patients[:1]


def test_the_recipients_csv_logs_every_patient(client, nurse, lot_with_recipients):
    lot, patients = lot_with_recipients
    client.force_login(nurse)
    response = client.get(reverse("safety:lot-recipients-csv", args=[lot.pk]))
    b"".join(response.streaming_content)

    (log,) = AccessLog.objects.filter(subject="export:lot-recipients")
    assert log.detail["patients"] == patients


def test_the_lot_page_logs_the_patients_it_lists(client, nurse, lot_with_recipients):
    lot, patients = lot_with_recipients
    client.force_login(nurse)
    assert client.get(reverse("inventory:lot-detail", args=[lot.pk])).status_code == 200

    (log,) = AccessLog.objects.filter(subject="lot-recipients")
    assert log.detail["patients"] == patients


@pytest.mark.parametrize(
    ("page", "name", "subject"),
    [
        ("treatments:visit-add", "patient", "visit-form"),
        ("followups:follow-up-add", "patient", "follow-up-form"),
        ("safety:adverse-event-add", "visit", "adverse-event-form"),
    ],
)
def test_a_new_record_form_naming_a_patient_is_a_read(
    client, clinician, known_clinic, page, name, subject
):
    client.force_login(clinician)
    value = known_clinic.patient.pk if name == "patient" else known_clinic.visit.pk
    assert client.get(reverse(page), {name: value}).status_code == 200

    (log,) = AccessLog.objects.filter(subject=subject)
    assert (log.action, log.patient_id) == ("view", known_clinic.patient.pk)


@pytest.mark.parametrize(
    ("method", "url", "body", "subject", "after"),
    [
        (
            "patch",
            "/api/v1/patients/{patient}/",
            {"phone": "+1 555 0199"},
            "patient",
            "partial_update",
        ),
        (
            "post",
            "/api/v1/patients/{patient}/void/",
            {"reason": "Registered twice"},
            "patient",
            "void",
        ),
        ("post", "/api/v1/visits/{visit}/void/", {"reason": "Wrong patient"}, "visit", "void"),
        (
            "patch",
            "/api/v1/adverse-events/{event}/",
            {"outcome": "recovered"},
            "adverse-event",
            "partial_update",
        ),
        (
            "post",
            "/api/v1/adverse-events/{event}/void/",
            {"reason": "Recorded twice"},
            "adverse-event",
            "void",
        ),
    ],
)
def test_the_answer_to_a_change_is_logged_as_a_read(
    api_client, clinician, known_clinic, method, url, body, subject, after
):
    event = known_clinic.visit.adverse_events.get()
    ids = {"patient": known_clinic.patient.pk, "visit": known_clinic.visit.pk, "event": event.pk}
    client = login_api(api_client, clinician)
    response = getattr(client, method)(url.format(**ids), body, format="json")
    assert response.status_code == 200, response.json()

    (log,) = AccessLog.objects.all()
    assert (log.action, log.subject, log.patient_id, log.object_id, log.detail) == (
        "api_read",
        subject,
        known_clinic.patient.pk,
        response.json()["id"],
        {"after": after},
    )


def test_a_refused_change_shows_nothing_and_logs_nothing(api_client, clinician, known_clinic):
    client = login_api(api_client, clinician)
    url = f"/api/v1/visits/{known_clinic.visit.pk}/void/"
    assert client.post(url, {}, format="json").status_code == 400
    assert not AccessLog.objects.exists()


def test_the_page_asking_to_void_a_patient_is_a_read(client, clinician, known_clinic):
    client.force_login(clinician)
    patient = known_clinic.patient
    assert client.get(reverse("patients:void", args=[patient.pk])).status_code == 200
    assert client.post(reverse("patients:void", args=[patient.pk]), {}).status_code == 200

    logged = AccessLog.objects.order_by("id")
    assert [(e.action, e.subject, e.patient_id) for e in logged] == [
        ("view", "patient", patient.pk),
        ("view", "patient", patient.pk),
    ]


def test_dashboard_panels_naming_patients_log_one_read_each(client, clinician, known_clinic):
    serious = AdverseEventFactory(visit=known_clinic.visit, seriousness=["hospitalisation"])
    flagged = MedicationFlagFactory()
    client.force_login(clinician)
    assert client.get(reverse("dashboard")).status_code == 200

    logged = AccessLog.objects.order_by("subject")
    assert [(e.action, e.subject, e.path, e.detail) for e in logged] == [
        ("view", "dashboard:medication-flags", "/", {"patients": [flagged.patient_id]}),
        ("view", "dashboard:serious-events", "/", {"patients": [serious.patient_id]}),
    ]


def test_a_dashboard_that_names_no_one_logs_nothing(client, clinician, known_clinic):
    client.force_login(clinician)
    assert client.get(reverse("dashboard")).status_code == 200
    assert not AccessLog.objects.exists()


def test_a_look_up_of_one_patients_reads_finds_the_lists_that_named_them(
    client, manager, nurse, lot_with_recipients
):
    lot, (ada, bob) = lot_with_recipients
    client.force_login(nurse)
    client.get(reverse("inventory:lot-detail", args=[lot.pk]))
    access_log_record(user=nurse, action="view", subject="patient", patient_id=ada)
    access_log_record(user=nurse, action="view", subject="patient", patient_id=bob)
    client.force_login(manager)

    mrn = Patient.objects.get(pk=ada).mrn
    rows = client.get(reverse("audit:access-log"), {"patient": mrn}).context["rows"]
    assert sorted((entry.subject, entry.patient_id) for entry, _ in rows) == [
        ("lot-recipients", None),
        ("patient", ada),
    ]
