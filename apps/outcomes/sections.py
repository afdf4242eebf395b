"""The patient page's outcomes card, registered from OutcomesConfig.ready()."""

from apps.outcomes.selectors import episodes_of_patient
from apps.patients.models import Patient
from exotrack.sections import PATIENT_PAGE, Section


def patient_outcomes_section(*, user, patient: Patient) -> dict:
    """Each treated site with its baseline, latest pain and whether that is a response
    (two queries whatever the count)."""
    return {"outcome_episodes": episodes_of_patient(patient=patient)}


def register() -> None:
    PATIENT_PAGE.register(
        Section(
            key="outcomes",
            title="Outcomes",
            permissions=("outcomes.view_outcomeassessment",),
            template="outcomes/_patient_outcomes.html",
            load=patient_outcomes_section,
            order=70,
        )
    )
