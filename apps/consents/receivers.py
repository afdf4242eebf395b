"""Connects this app to what the treatments app announces (apps/treatments/signals.py):
a recorded visit keeps the signed consents it relied on, in the visit's transaction."""

from django.dispatch import receiver

from apps.consents.services import past_visits_consents_link, visit_consents_link
from apps.treatments.models import Visit
from apps.treatments.signals import past_visits_recorded, visit_recorded


@receiver(visit_recorded, sender=Visit, dispatch_uid="consents.link_after_visit")
def link_consents(sender, *, visit: Visit, by, **kwargs) -> None:
    visit_consents_link(visit=visit)


@receiver(past_visits_recorded, sender=Visit, dispatch_uid="consents.link_after_past_visits")
def link_consents_of_past_visits(sender, *, visits: list[Visit], doses, by, **kwargs) -> None:
    past_visits_consents_link(visits=visits, doses=doses)
