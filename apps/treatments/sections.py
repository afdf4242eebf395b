"""The patient page's treatment timeline and the lots the patient received, and the
dashboard's panels of visits awaiting sign-off and of today's visits, registered from
TreatmentsConfig.ready()."""

from django.utils import timezone

from apps.patients.models import Patient
from apps.treatments.selectors import (
    patient_lots,
    patient_visits,
    sign_off_counts,
    visits_today_counts,
)
from apps.treatments.services import ACKNOWLEDGE_PERMISSION
from exotrack.dashboard import DASHBOARD
from exotrack.sections import PATIENT_PAGE, Section


def patient_visits_section(*, user, patient: Patient) -> dict:
    return {"visits": patient_visits(patient=patient)}


def patient_lots_section(*, user, patient: Patient) -> dict:
    return {"patient_lots": patient_lots(patient=patient)}


def sign_off_panel(*, user) -> dict:
    """Counts only (no patient named): one query."""
    return sign_off_counts(user=user)


def visits_today_panel(*, user) -> dict:
    """Counts only (no patient named): one query."""
    return {"today": timezone.localdate(), **visits_today_counts(user=user)}


def register() -> None:
    DASHBOARD.register(
        Section(
            key="sign-off",
            title="Visits awaiting sign-off",
            permissions=(ACKNOWLEDGE_PERMISSION,),
            template="treatments/_dashboard_sign_off.html",
            load=sign_off_panel,
            order=3,  # a nurse's visit waits on it
        )
    )
    DASHBOARD.register(
        Section(
            key="visits-today",
            title="Today's visits",
            permissions=("treatments.add_visit",),
            template="treatments/_dashboard_visits_today.html",
            load=visits_today_panel,
            order=6,
        )
    )
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
