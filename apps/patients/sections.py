"""The patient page's own medications card, registered from PatientsConfig.ready() like
every other app's section so the page reads in one order."""

from apps.patients.forms import MedicationForm, MedicationStopForm
from apps.patients.models import Patient
from apps.patients.selectors import patient_medications
from exotrack.sections import PATIENT_PAGE, Section


def patient_medications_section(*, user, patient: Patient) -> dict:
    return {
        "medications": list(patient_medications(patient=patient)),
        "medication_form": MedicationForm(),
        "stop_form": MedicationStopForm(),
    }


def register() -> None:
    PATIENT_PAGE.register(
        Section(
            key="medications",
            permissions=("patients.view_clinical", "patients.view_medication"),
            template="patients/_medications.html",
            load=patient_medications_section,
            order=10,
        )
    )
