"""Reads of products, lots and the stock ledger, with the joins their pages need."""

import datetime

from django.db.models import QuerySet

from apps.inventory.models import Lot


def lots_usable_on(*, on: datetime.date, product=None) -> QuerySet[Lot]:
    """Lots a clinician may draw from on `on`: available, not expired that day, with
    stock left. First-expiry-first-out, so the vial that expires soonest is used first."""
    lots = (
        Lot.objects.select_related("product__manufacturer")
        .filter(status=Lot.Status.AVAILABLE, expiry_date__gte=on, vials_on_hand__gt=0)
        .order_by("expiry_date", "received_on", "id")
    )
    if product is not None:
        lots = lots.filter(product=product)
    return lots
