"""The patient page's follow-ups card, registered from FollowupsConfig.ready()."""

from apps.followups.selectors.follow_ups import VIEW_PERMISSION, patient_follow_ups
from apps.patients.models import Patient
from exotrack.sections import PATIENT_PAGE, Section


def patient_follow_ups_section(*, user, patient: Patient) -> dict:
    """One query: the patient's follow-ups."""
    return {"follow_ups": list(patient_follow_ups(patient=patient))}


def register() -> None:
    PATIENT_PAGE.register(
        Section(
            key="follow-ups",
            permissions=(VIEW_PERMISSION,),
            template="followups/_patient_follow_ups.html",
            load=patient_follow_ups_section,
            order=60,
        )
    )
