"""The patient page's own medications card, registered from PatientsConfig.ready() like
every other app's section so the page reads in one order."""

from apps.patients.forms import MedicationForm, MedicationStopForm
from apps.patients.models import Patient
from apps.patients.selectors import patient_medications
from exotrack.dashboard import DASHBOARD
from exotrack.sections import PATIENT_PAGE, Section


def patient_medications_section(*, user, patient: Patient) -> dict:
    return {
        "medications": list(patient_medications(patient=patient)),
        "medication_form": MedicationForm(),
        "stop_form": MedicationStopForm(),
    }


def patient_search_panel(*, user) -> dict:
    """A search box only: no query, nothing read."""
    return {}


def register() -> None:
    DASHBOARD.register(
        Section(
            key="find-patient",
            title="Find a patient",
            permissions=("patients.view_patient",),
            template="patients/_dashboard_search.html",
            load=patient_search_panel,
            order=1,  # every visit, call and note starts from the patient
        )
    )
    PATIENT_PAGE.register(
        Section(
            key="medications",
            permissions=("patients.view_clinical", "patients.view_medication"),
            template="patients/_medications.html",
            load=patient_medications_section,
            order=10,
        )
    )
