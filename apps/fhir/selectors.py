"""What each FHIR resource type serves a reader: the records their role may see, through
the owning apps' selectors, with the joins the mapping needs. Voided records (and the
records of voided patients and visits) are not served: a consumer of a read API has no
use for a mistake, and leaving them out means no record's identity leaks through one.

Every queryset is ordered by primary key so pages and exports can continue after the
last id seen (keyset paging: a constant cost per page however deep)."""

from django.db.models import Prefetch, QuerySet

from apps.accounts.models import User
from apps.clinic.models import ClinicProfile, Location
from apps.clinic.selectors import all_locations
from apps.inventory.models import Lot
from apps.outcomes.models import OutcomeAssessment
from apps.outcomes.selectors import assessments_visible_to
from apps.patients.models import Patient
from apps.patients.selectors import patients_visible_to
from apps.safety.models import AdverseEvent, MedicationFlag
from apps.safety.selectors.adverse_events import adverse_events_visible_to
from apps.safety.selectors.medication_flags import flags_visible_to
from apps.treatments.models import Dose, Visit
from apps.treatments.selectors import clinicians, visits_visible_to


def fhir_patients(user: User) -> QuerySet[Patient]:
    return patients_visible_to(user).order_by("pk")


def fhir_practitioners(user: User) -> QuerySet[User]:
    # Staff who treat: readers of visits see them as performers anyway.
    if not user.has_perm("treatments.view_visit"):
        return clinicians().none()
    return clinicians().order_by("pk")


def fhir_organizations(user: User) -> QuerySet[ClinicProfile]:
    if not user.has_perm("clinic.view_clinicprofile"):
        return ClinicProfile.objects.none()
    return ClinicProfile.objects.order_by("pk")


def fhir_locations(user: User) -> QuerySet[Location]:
    if not user.has_perm("clinic.view_location"):
        return Location.objects.none()
    return all_locations().order_by("pk")


def fhir_medications(user: User) -> QuerySet[Lot]:
    if not user.has_perm("inventory.view_lot"):
        return Lot.objects.none()
    return Lot.objects.select_related("product__manufacturer").order_by("pk")


def _standing_visits(user: User) -> QuerySet[Visit]:
    return visits_visible_to(user).filter(voided_at__isnull=True, patient__voided_at__isnull=True)


def fhir_procedures(user: User) -> QuerySet[Visit]:
    doses = Dose.objects.select_related("site").order_by("pk")
    return (
        _standing_visits(user)
        .select_related(None)
        .select_related("location")
        .prefetch_related(None)
        .prefetch_related(Prefetch("doses", queryset=doses))
        .order_by("pk")
    )


def fhir_medication_administrations(user: User) -> QuerySet[Dose]:
    if not user.has_perm("treatments.view_dose"):
        return Dose.objects.none()
    return (
        Dose.objects.filter(visit__in=_standing_visits(user).values("pk"))
        .select_related("visit", "site", "lot")
        .order_by("pk")
    )


def fhir_adverse_events(user: User) -> QuerySet[AdverseEvent]:
    return (
        adverse_events_visible_to(user)
        .filter(voided_at__isnull=True, patient__voided_at__isnull=True)
        .select_related(None)
        .select_related("event_type")
        .prefetch_related(None)
        .prefetch_related(Prefetch("doses", queryset=Dose.objects.only("pk").order_by("pk")))
        .order_by("pk")
    )


def fhir_flags(user: User) -> QuerySet[MedicationFlag]:
    return (
        flags_visible_to(user)
        .select_related(None)
        .select_related("medication", "medication_class")
        .order_by("pk")
    )


def fhir_assessments(user: User) -> QuerySet[OutcomeAssessment]:
    return (
        assessments_visible_to(user)
        .filter(
            voided_at__isnull=True,
            dose__visit__voided_at__isnull=True,
            dose__visit__patient__voided_at__isnull=True,
        )
        .select_related(None)
        .select_related("dose__site", "dose__visit")
        .order_by("pk")
    )
