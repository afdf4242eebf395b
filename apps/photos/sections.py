"""The patient page's before/after photos card, registered from PhotosConfig.ready()."""

from apps.accounts.models import User
from apps.patients.models import Patient
from apps.photos.selectors import SEE_PHOTOS, patient_photo_sites
from exotrack.sections import PATIENT_PAGE, Section


def patient_photos_section(*, user: User, patient: Patient) -> dict:
    return {"visible": True, "sites": patient_photo_sites(patient=patient)}


def register() -> None:
    PATIENT_PAGE.register(
        Section(
            key="photos",
            permissions=SEE_PHOTOS,
            template="photos/_patient_photos.html",
            load=patient_photos_section,
            order=90,
        )
    )
