"""The patient page's injection maps card, registered from InjectionMapsConfig.ready()."""

from apps.accounts.models import User
from apps.injection_maps.selectors import PATIENT_PAGE_VISITS, patient_injection_maps
from apps.patients.models import Patient
from exotrack.sections import PATIENT_PAGE, Section

SEE_MAPS = ("treatments.view_visit", "treatments.view_dose", "patients.view_clinical")


def patient_maps_section(*, user: User, patient: Patient) -> dict:
    return {
        "visits": patient_injection_maps(patient=patient),
        "shown_at_most": PATIENT_PAGE_VISITS,
    }


def register() -> None:
    PATIENT_PAGE.register(
        Section(
            key="injection-maps",
            permissions=SEE_MAPS,
            template="injection_maps/_patient_maps.html",
            load=patient_maps_section,
            order=95,
        )
    )
