"""The patient page's treatment timeline and the lots the patient received, registered
from TreatmentsConfig.ready()."""

from apps.patients.models import Patient
from apps.treatments.selectors import patient_lots, patient_visits
from exotrack.sections import PATIENT_PAGE, Section


def patient_visits_section(*, user, patient: Patient) -> dict:
    return {"visits": patient_visits(patient=patient)}


def patient_lots_section(*, user, patient: Patient) -> dict:
    return {"patient_lots": patient_lots(patient=patient)}


def register() -> None:
    PATIENT_PAGE.register(
        Section(
            key="visits",
            title="Treatment timeline",
            permissions=("treatments.view_visit",),
            template="treatments/_patient_visits.html",
            load=patient_visits_section,
            order=30,
        )
    )
    PATIENT_PAGE.register(
        Section(
            key="lots",
            title="Lots received",
            permissions=("treatments.view_visit",),
            template="treatments/_patient_lots.html",
            load=patient_lots_section,
            order=40,
        )
    )
