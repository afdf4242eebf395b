"""The patient page's consents card, registered from ConsentsConfig.ready()."""

from apps.accounts.models import User
from apps.consents.selectors import patient_consent_requests, patient_consents
from apps.patients.models import Patient
from exotrack.sections import PATIENT_PAGE, Section

SEE_CONSENTS = ("consents.view_signedconsent", "patients.view_clinical")


def patient_consents_section(*, user: User, patient: Patient) -> dict:
    return {
        "visible": True,
        "consents": list(patient_consents(patient=patient)),
        "requests": list(patient_consent_requests(patient=patient)),
        "may_sign": not patient.is_voided and user.has_perm("consents.add_signedconsent"),
    }


def register() -> None:
    PATIENT_PAGE.register(
        Section(
            key="consents",
            permissions=SEE_CONSENTS,
            template="consents/_patient_consents.html",
            load=patient_consents_section,
            order=80,
        )
    )
