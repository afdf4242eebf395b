import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.inventory.models import Lot, Manufacturer, Product, StockMovement


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
