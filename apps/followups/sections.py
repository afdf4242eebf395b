"""The patient page's follow-ups card and the dashboard's panel of the day's follow-ups,
registered from FollowupsConfig.ready()."""

from apps.followups.selectors.follow_ups import VIEW_PERMISSION, patient_follow_ups
from apps.followups.selectors.worklist import worklist_today
from apps.patients.models import Patient
from exotrack.dashboard import DASHBOARD
from exotrack.sections import PATIENT_PAGE, Section


def patient_follow_ups_section(*, user, patient: Patient) -> dict:
    """One query: the patient's follow-ups."""
    return {"follow_ups": list(patient_follow_ups(patient=patient))}


def todays_follow_ups_panel(*, user) -> dict:
    counts = worklist_today(user=user)
    return {"counts": counts, "anything": any(counts.values())}


def register() -> None:
    DASHBOARD.register(
        Section(
            key="follow-ups-today",
            title="Today's follow-ups",
            permissions=(VIEW_PERMISSION,),
            template="followups/_dashboard_today.html",
            load=todays_follow_ups_panel,
            order=5,  # the day's work first
        )
    )
    PATIENT_PAGE.register(
        Section(
            key="follow-ups",
            permissions=(VIEW_PERMISSION,),
            template="followups/_patient_follow_ups.html",
            load=patient_follow_ups_section,
            order=60,
        )
    )
