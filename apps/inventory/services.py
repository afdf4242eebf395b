import datetime
from decimal import Decimal

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.inventory.barcodes import ScannedVial as ScannedVial
from apps.inventory.barcodes import barcode_parse as barcode_parse
from apps.inventory.models import Lot, Manufacturer, Product, StockMovement


def _actor(by) -> int | None:
    return getattr(by, "pk", None)


def _lot_unusable_reason(lot: Lot, *, on: datetime.date) -> str | None:
    if lot.status == Lot.Status.RECALLED:
        return f"Lot {lot.lot_number} is recalled."
    if lot.status == Lot.Status.QUARANTINED:
        return f"Lot {lot.lot_number} is quarantined."
    if lot.status != Lot.Status.AVAILABLE:
        return f"Lot {lot.lot_number} is {lot.get_status_display().lower()}."
    if lot.expiry_date < on:
        return f"Lot {lot.lot_number} expired on {lot.expiry_date:%Y-%m-%d}."
    return None


def stock_use(*, lot_id: int, vials: int, on: datetime.date, by, reason: str) -> StockMovement:
    """Take `vials` from a lot for a visit on `on`.

    Runs inside the caller's transaction (a visit and its stock stand or fall together).
    The lot row is locked first, so two visits recorded at once cannot both take the last
    vials; the lot's CHECK constraint is the backstop.
    """
    if vials < 1:
        raise ValidationError("At least one vial must be used.", code="no_vials")
    with transaction.atomic(), pghistory.context(user=_actor(by)):
        lot = Lot.objects.select_for_update().filter(pk=lot_id).first()
        if lot is None:
            raise ValidationError("No such lot.", code="no_lot")
        problem = _lot_unusable_reason(lot, on=on)
        if problem is not None:
            raise ValidationError(problem, code="lot_unusable")
        if lot.vials_on_hand < vials:
            raise ValidationError(
                f"Lot {lot.lot_number} has {lot.vials_on_hand} "
                f"{'vial' if lot.vials_on_hand == 1 else 'vials'} left, {vials} needed.",
                code="not_enough_stock",
            )
        return StockMovement.objects.create(
            lot=lot, kind=StockMovement.Kind.USED, vials=-vials, reason=reason, by=by
        )


def stock_return(*, movement: StockMovement, by, reason: str) -> StockMovement:
    """Put back the unopened vials of a 'used' movement (its visit was voided).

    Runs inside the caller's transaction. The caller records which movement a return
    undoes (a visit's opened vials point at both), so a use is returned at most once.
    """
    if movement.kind != StockMovement.Kind.USED:
        raise ValidationError("Only vials used at a visit can be returned.", code="not_a_use")
    if not reason.strip():
        raise ValidationError("Say why the vials are returned.", code="reason_required")
    with transaction.atomic(), pghistory.context(user=_actor(by)):
        return StockMovement.objects.create(
            lot_id=movement.lot_id,
            kind=StockMovement.Kind.RETURNED,
            vials=-movement.vials,
            reason=reason,
            by=by,
        )


@transaction.atomic
def manufacturer_seed(
    *, name: str, contact: str = "", website: str = ""
) -> tuple[Manufacturer, bool]:
    existing = Manufacturer.objects.filter(name=name).first()
    if existing is not None:
        return existing, False
    manufacturer = Manufacturer(name=name, contact=contact, website=website)
    manufacturer.full_clean()
    manufacturer.save()
    return manufacturer, True


@transaction.atomic
def product_seed(
    *,
    manufacturer: str,
    name: str,
    gtin: str | None = None,
    regulatory_status: str = "",
    storage_min_celsius: Decimal | float | None = None,
    storage_max_celsius: Decimal | float | None = None,
) -> tuple[Product, bool]:
    """Add a product of a manufacturer named `manufacturer` unless it exists."""
    maker = Manufacturer.objects.filter(name=manufacturer).first()
    if maker is None:
        raise ValidationError({"manufacturer": f"No manufacturer named {manufacturer!r}."})
    existing = Product.objects.filter(manufacturer=maker, name=name).first()
    if existing is not None:
        return existing, False
    product = Product(
        manufacturer=maker,
        name=name,
        gtin=gtin,
        regulatory_status=regulatory_status,
        # As text, so full_clean parses and validates them as decimals.
        storage_min_celsius=None if storage_min_celsius is None else str(storage_min_celsius),
        storage_max_celsius=None if storage_max_celsius is None else str(storage_max_celsius),
    )
    product.full_clean()
    product.save()
    return product, True


@transaction.atomic
def lot_seed(
    *,
    product: str,
    lot_number: str,
    expiry_date: datetime.date,
    received_on: datetime.date,
    vials_received: int,
    labelled_billions_per_vial: Decimal | float,
    measured_billions_per_vial: Decimal | float | None = None,
    measured_source: str = "",
    storage_location: str = "",
) -> tuple[Lot, bool]:
    """Add a received lot of the product named `product`, with its 'received' movement
    in the stock ledger, unless that lot number exists for the product."""
    products = list(Product.objects.filter(name=product)[:2])
    if len(products) != 1:
        problem = "No product" if not products else "More than one product"
        raise ValidationError({"product": f"{problem} named {product!r}."})
    existing = Lot.objects.filter(product=products[0], lot_number=lot_number).first()
    if existing is not None:
        return existing, False
    lot = Lot(
        product=products[0],
        lot_number=lot_number,
        expiry_date=expiry_date,
        received_on=received_on,
        vials_received=vials_received,
        labelled_billions_per_vial=str(labelled_billions_per_vial),
        measured_billions_per_vial=(
            None if measured_billions_per_vial is None else str(measured_billions_per_vial)
        ),
        measured_source=measured_source,
        storage_location=storage_location,
    )
    lot.full_clean()
    lot.save()
    StockMovement.objects.create(
        lot=lot, kind=StockMovement.Kind.RECEIVED, vials=lot.vials_received
    )
    lot.refresh_from_db(fields=["vials_on_hand"])
    return lot, True
