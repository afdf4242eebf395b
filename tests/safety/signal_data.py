"""Builders for safety-signal tests: many doses at once (bulk inserts, so 3,000
exposures take a moment, not minutes) and adverse events linked to chosen doses."""

import datetime

from django.utils import timezone

from apps.inventory.models import Lot
from apps.safety.models import AdverseEvent, AdverseEventType
from apps.treatments.models import Dose, TreatmentSite, Visit
from tests.factories import (
    AdverseEventFactory,
    AdverseEventTypeFactory,
    LocationFactory,
    PatientFactory,
    TreatmentSiteFactory,
    UserFactory,
)


def infection() -> AdverseEventType:
    """As seeded from DOMAIN.md: about 1 in 2,000 treatments."""
    return AdverseEventTypeFactory(
        code="infection",
        name="Infection at the injection site",
        expected_one_in=2000,
        exposure=AdverseEventType.Exposure.DOSE,
    )


def cold_sore() -> AdverseEventType:
    """As seeded from DOMAIN.md: about 1 in 20 (per visit). The factory's default."""
    return AdverseEventTypeFactory(code="cold_sore")


def give_doses(
    lot: Lot, *, visits: int, doses_per_visit: int = 1, site: TreatmentSite | None = None
) -> list[Dose]:
    """`visits` visits of one patient, each with `doses_per_visit` doses from `lot`."""
    site = site or TreatmentSiteFactory()
    patient = PatientFactory()
    location = LocationFactory(name="Main clinic")
    clinician = UserFactory(role="clinician")
    start = timezone.now() - datetime.timedelta(days=visits + 1)
    made = Visit.objects.bulk_create(
        Visit(
            patient=patient,
            visited_at=start + datetime.timedelta(days=i),
            location=location,
            clinician=clinician,
            indication="Knee osteoarthritis",
        )
        for i in range(visits)
    )
    return Dose.objects.bulk_create(
        Dose(visit=visit, site=site, lot=lot, billions=4, route=site.default_route)
        for visit in made
        for _ in range(doses_per_visit)
    )


def record_event(event_type: AdverseEventType, doses: list[Dose]) -> AdverseEvent:
    """One event of the doses' visit, linked to those doses."""
    return AdverseEventFactory(visit=doses[0].visit, event_type=event_type, doses=doses)


def void_visit(visit: Visit) -> None:
    Visit.objects.filter(pk=visit.pk).update(voided_at=timezone.now(), void_reason="Wrong patient")
