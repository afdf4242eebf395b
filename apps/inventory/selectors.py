"""Reads of products, lots and the stock ledger, with the joins their pages need."""

import datetime
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.accounts.models import User
from apps.inventory.models import Lot, Manufacturer, Product, StockMovement

if TYPE_CHECKING:
    # A development requirement only: the stubs' names for annotated querysets.
    from django_stubs_ext import WithAnnotations


class StockCounts(TypedDict):
    usable_lots: int
    usable_vials: int


def usable_on(on: datetime.date) -> Q:
    """Lots usable on a day, as a filter (the rule is the lot's own)."""
    return Lot.usable_on(on)


# First-expiry-first-out: the vial that expires soonest is used first.
FEFO = ("expiry_date", "received_on", "id")


def lots_usable_on(*, on: datetime.date, product: Product | int | None = None) -> QuerySet[Lot]:
    """Lots a clinician may draw from on `on`, first-expiry-first-out; `product` is a
    product or its id (the lot picker sends the id from the query string)."""
    lots = Lot.objects.select_related("product__manufacturer").filter(usable_on(on)).order_by(*FEFO)
    if product is not None:
        lots = lots.filter(product=product)
    return lots


def lot_search(
    *,
    today: datetime.date,
    product: Product | None = None,
    status: str = "",
    expiring_within_days: int | None = None,
) -> QuerySet[Lot]:
    """The lot list: soonest expiry first. `status` may also be 'expired' or 'depleted',
    states the clinic speaks of that follow from the date and the stock."""
    lots = Lot.objects.select_related("product__manufacturer").order_by("expiry_date", "id")
    if product is not None:
        lots = lots.filter(product=product)
    if status == "expired":
        lots = lots.filter(expiry_date__lt=today)
    elif status == "depleted":
        lots = lots.filter(vials_on_hand=0)
    elif status:
        lots = lots.filter(status=status)
    if expiring_within_days is not None:
        lots = lots.filter(
            expiry_date__gte=today,
            expiry_date__lte=today + datetime.timedelta(days=expiring_within_days),
        )
    return lots


def lot_with_dose_count(*, pk: int) -> Lot:
    """One lot with how many doses were given from it (voided visits not counted)."""
    return (
        Lot.objects.select_related("product__manufacturer", "created_by")
        .annotate(doses_given=Count("doses", filter=Q(doses__visit__voided_at__isnull=True)))
        .get(pk=pk)
    )


def lot_reach(*, lot_id: int) -> dict[str, int]:
    """Doses given from the lot and the patients they reached, in one pass over the lot's
    doses (voided visits left out): what a recall or a quarantine touches."""
    standing = Q(doses__visit__voided_at__isnull=True)
    # The aliases may not be "doses": an alias named like the relation hides it.
    totals = Lot.objects.filter(pk=lot_id).aggregate(
        given=Count("doses", filter=standing),
        reached=Count("doses__visit__patient_id", filter=standing, distinct=True),
    )
    return {"doses": totals["given"], "patients": totals["reached"]}


def lot_ledger(*, lot: Lot) -> QuerySet[StockMovement]:
    return StockMovement.objects.filter(lot=lot).select_related("by").order_by("at", "id")


def stock_movements() -> QuerySet[StockMovement]:
    return StockMovement.objects.select_related("lot__product", "by").order_by("-at", "-id")


def stock_movement_search(*, lot_id: int | None = None, kind: str = "") -> QuerySet[StockMovement]:
    """The stock ledger, newest first, narrowed to a lot and a kind of movement."""
    movements = stock_movements()
    if lot_id is not None:
        movements = movements.filter(lot_id=lot_id)
    if kind:
        movements = movements.filter(kind=kind)
    return movements


def products() -> QuerySet[Product]:
    return Product.objects.select_related("manufacturer")


def product_search(*, manufacturer_id: int | None = None, gtin: str = "") -> QuerySet[Product]:
    """Products of a manufacturer, or the one a scanned GTIN names."""
    found = products()
    if manufacturer_id is not None:
        found = found.filter(manufacturer_id=manufacturer_id)
    if gtin:
        found = found.filter(gtin=gtin)
    return found


def products_with_stock(
    *, today: datetime.date
) -> "QuerySet[WithAnnotations[Product, StockCounts]]":
    """Products with their maker, how many lots are usable today and their vials on hand."""
    usable = Lot.usable_on(today, through="lots__")
    return products().annotate(
        usable_lots=Count("lots", filter=usable),
        usable_vials=Coalesce(Sum("lots__vials_on_hand", filter=usable), 0),
    )


def manufacturers_with_product_count() -> QuerySet[Manufacturer]:
    return Manufacturer.objects.annotate(product_count=Count("products"))


def stock_needing_attention(
    *, today: datetime.date, within_days: int, low_stock_vials: int
) -> dict[str, list]:
    """Usable lots that expire within `within_days`, and products whose usable stock is
    at or below `low_stock_vials` (none left included): one query each."""
    return {
        "expiring": list(
            lots_usable_on(on=today).filter(
                expiry_date__lte=today + datetime.timedelta(days=within_days)
            )
        ),
        "low_stock": list(
            products_with_stock(today=today)
            .filter(usable_vials__lte=low_stock_vials)
            .order_by("usable_vials", "name")
        ),
    }


def stock_panel(*, user: User) -> dict:
    """The dashboard's stock panel: two queries whatever the number of lots."""
    within_days = settings.INVENTORY_EXPIRY_WARNING_DAYS
    low_stock_vials = settings.INVENTORY_LOW_STOCK_VIALS
    return {
        "within_days": within_days,
        "low_stock_vials": low_stock_vials,
        **stock_needing_attention(
            today=timezone.localdate(), within_days=within_days, low_stock_vials=low_stock_vials
        ),
    }
