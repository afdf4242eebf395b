"""Who may see the reports page and which exports, and what the access log keeps."""

import pytest

from apps.audit.models import AccessLog
from tests.reports.helpers import export

pytestmark = pytest.mark.django_db

EXPORT_NAMES = ("outcomes", "adverse-events", "doses-by-lot", "follow-up-compliance")


@pytest.mark.parametrize("name", EXPORT_NAMES)
def test_de_identified_exports_never_name_a_patient(client, clinician, known_clinic, name):
    client.force_login(clinician)

    text = export(client, name, mode="deidentified")

    for patient in (known_clinic.patient, known_clinic.other_patient):
        for value in (
            patient.first_name,
            patient.last_name,
            patient.email,
            patient.phone,
            patient.mrn,
            patient.date_of_birth.isoformat(),
        ):
            assert value not in text
    # Free text stays out too (assessment notes, event description and narrative).
    for words in ("Walks the dog", "Lip blister", "Called the clinic"):
        assert words not in text


@pytest.mark.parametrize("persona", ["clinician", "manager"])
def test_clinicians_and_managers_may_export_identified(client, known_clinic, persona, request):
    client.force_login(request.getfixturevalue(persona))

    assert "Lovelace" in export(client, "outcomes", mode="identified")


def test_a_nurse_asking_for_identified_is_refused(client, nurse, known_clinic):
    client.force_login(nurse)

    response = client.get("/reports/exports/outcomes.csv", {"mode": "identified"})

    assert response.status_code == 403
    assert not AccessLog.objects.filter(subject="export:outcomes").exists()


def test_a_nurse_sees_the_page_without_the_identified_choice(client, nurse, known_clinic):
    client.force_login(nurse)

    page = client.get("/reports/").content.decode()

    assert 'value="identified"' not in page
    assert "Your exports are de-identified" in page


@pytest.mark.parametrize("persona", ["front_desk", "outsider"])
def test_staff_without_reports_get_nothing(client, known_clinic, persona, request):
    client.force_login(request.getfixturevalue(persona))

    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/exports/outcomes.csv").status_code == 403


def test_signed_out_visitors_get_nothing(client, known_clinic):
    response = client.get("/reports/exports/outcomes.csv")

    # Sent to sign in, with no part of the export.
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/reports/exports/outcomes.csv"
    assert not response.streaming


def test_an_unknown_export_is_404(client, manager):
    client.force_login(manager)

    assert client.get("/reports/exports/patients.csv").status_code == 404


def test_every_export_is_logged_with_user_mode_and_filters(client, manager, known_clinic):
    client.force_login(manager)
    lot = known_clinic.knee.lot

    export(client, "doses-by-lot", mode="identified", lot=str(lot.pk), date_from="2026-01-01")

    entry = AccessLog.objects.get()
    assert entry.user == manager
    assert entry.action == AccessLog.Action.EXPORT
    assert entry.subject == "export:doses-by-lot"
    assert entry.detail == {
        "mode": "identified",
        "date_shift_days": 0,
        "filters": {"lot_id": lot.pk, "date_from": "2026-01-01"},
    }
    assert entry.path.startswith("/reports/exports/doses-by-lot.csv?")


def test_wrong_filters_are_named_and_nothing_is_exported(client, manager, known_clinic):
    client.force_login(manager)

    response = client.get(
        "/reports/exports/outcomes.csv",
        {"date_from": "2026-03-01", "date_to": "2026-01-01", "lot": "999999", "shift_days": "-3"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "The end of the period is before its start." in page
    assert "Select a valid choice" in page
    assert "greater than or equal to 0" in page
    assert not AccessLog.objects.exists()


def test_identified_exports_are_not_shifted(client, manager, known_clinic):
    client.force_login(manager)

    response = client.get(
        "/reports/exports/outcomes.csv", {"mode": "identified", "shift_days": "5"}
    )

    assert response.status_code == 400
    assert "Dates are shifted only in de-identified exports." in response.content.decode()


def test_shift_is_capped_by_the_setting(client, nurse, known_clinic, settings):
    settings.REPORTS_DATE_SHIFT_MAX_DAYS = 10
    client.force_login(nurse)

    response = client.get("/reports/exports/outcomes.csv", {"shift_days": "11"})

    assert response.status_code == 400
    assert "less than or equal to 10" in response.content.decode()
