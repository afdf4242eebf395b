import datetime
from decimal import Decimal
from typing import Any, TypeVar, overload

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.inventory.barcodes import ScannedVial as ScannedVial
from apps.inventory.barcodes import barcode_parse as barcode_parse
from apps.inventory.models import Lot, Manufacturer, Product, StockMovement
from exotrack.history import recorded_by

Saved = TypeVar("Saved", Manufacturer, Product, Lot)

# More vials than any clinic keeps: a number above it is a typing or scanning slip.
MAX_VIALS_PER_MOVEMENT = 10_000
_TOO_MANY = f"No more than {MAX_VIALS_PER_MOVEMENT} vials at a time."


def stock_use(
    *, lot_id: int, vials: int, on: datetime.date, by: User, reason: str
) -> StockMovement:
    """Take `vials` from a lot for a visit on `on`.

    Runs inside the caller's transaction (a visit and its stock stand or fall together).
    The lot row is locked first, so two visits recorded at once cannot both take the last
    vials; the lot's CHECK constraint is the backstop.
    """
    if vials < 1:
        raise ValidationError("At least one vial must be used.", code="no_vials")
    if vials > MAX_VIALS_PER_MOVEMENT:
        raise ValidationError(_TOO_MANY, code="too_many_vials")
    with transaction.atomic(), recorded_by(by):
        lot = Lot.objects.select_for_update().filter(pk=lot_id).first()
        if lot is None:
            raise ValidationError("No such lot.", code="no_lot")
        problem = lot.unusable_reason(on, vials=vials)
        if problem is not None:
            raise problem
        return StockMovement.objects.create(
            lot=lot, kind=StockMovement.Kind.USED, vials=-vials, reason=reason, by=by
        )


def stock_return(*, movement: StockMovement, by: User, reason: str) -> StockMovement:
    """Put back the unopened vials of a 'used' movement (its visit was voided).

    Runs inside the caller's transaction. The caller records which movement a return
    undoes (a visit's opened vials point at both), so a use is returned at most once.
    """
    if movement.kind != StockMovement.Kind.USED:
        raise ValidationError("Only vials used at a visit can be returned.", code="not_a_use")
    if not reason.strip():
        raise ValidationError("Say why the vials are returned.", code="reason_required")
    with transaction.atomic(), recorded_by(by):
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


@overload
def _decimal(value: Decimal | float) -> Decimal: ...
@overload
def _decimal(value: None) -> None: ...
def _decimal(value: Decimal | float | None) -> Decimal | None:
    # Through text, so 5.1 read from a seed file is 5.1 and not 5.0999999...
    return None if value is None else Decimal(str(value))


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
    """Receive a lot of the product named `product` unless that lot number exists for it."""
    products = list(Product.objects.filter(name=product)[:2])
    if len(products) != 1:
        problem = "No product" if not products else "More than one product"
        raise ValidationError({"product": f"{problem} named {product!r}."})
    existing = Lot.objects.filter(product=products[0], lot_number=lot_number).first()
    if existing is not None:
        return existing, False
    lot = lot_receive(
        by=None,
        product=products[0],
        lot_number=lot_number,
        expiry_date=expiry_date,
        received_on=received_on,
        vials_received=vials_received,
        labelled_billions_per_vial=_decimal(labelled_billions_per_vial),
        measured_billions_per_vial=_decimal(measured_billions_per_vial),
        measured_source=measured_source,
        storage_location=storage_location,
    )
    return lot, True


# --- Catalogue: manufacturers and products ----------------------------------------


def _saved(record: Saved, *, exclude: list[str] | None = None) -> Saved:
    record.full_clean(exclude=exclude)
    record.save()
    return record


def manufacturer_create(
    *, by: User, name: str, contact: str = "", website: str = ""
) -> Manufacturer:
    with transaction.atomic(), recorded_by(by):
        return _saved(Manufacturer(name=name, contact=contact, website=website, created_by=by))


def manufacturer_update(*, by: User, manufacturer: Manufacturer, **fields: Any) -> Manufacturer:
    with transaction.atomic(), recorded_by(by):
        for name in ("name", "contact", "website"):
            if name in fields:
                setattr(manufacturer, name, fields.pop(name))
        if fields:
            raise TypeError(f"Not a manufacturer field: {', '.join(fields)}")
        return _saved(manufacturer)


_PRODUCT_FIELDS = (
    "manufacturer",
    "name",
    "gtin",
    "regulatory_status",
    "storage_min_celsius",
    "storage_max_celsius",
)


def _product_checked(product: Product) -> Product:
    # A blank GTIN means "not printed on the vial", stored as NULL so it stays unique.
    product.gtin = (product.gtin or "").strip() or None
    errors = {}
    if product.gtin is not None and (len(product.gtin) != 14 or not product.gtin.isdigit()):
        errors["gtin"] = "A GTIN is the 14 digits after (01) in the barcode."
    if (
        product.storage_min_celsius is not None
        and product.storage_max_celsius is not None
        and Decimal(product.storage_max_celsius) < Decimal(product.storage_min_celsius)
    ):
        errors["storage_max_celsius"] = "The warmest storage temperature is below the coldest."
    if errors:
        raise ValidationError(errors)
    return _saved(product)


def product_create(
    *,
    by: User,
    manufacturer: Manufacturer,
    name: str,
    gtin: str | None = None,
    regulatory_status: str = "",
    storage_min_celsius: Decimal | None = None,
    storage_max_celsius: Decimal | None = None,
) -> Product:
    with transaction.atomic(), recorded_by(by):
        return _product_checked(
            Product(
                manufacturer=manufacturer,
                name=name,
                gtin=gtin,
                regulatory_status=regulatory_status,
                storage_min_celsius=storage_min_celsius,
                storage_max_celsius=storage_max_celsius,
                created_by=by,
            )
        )


def product_update(*, by: User, product: Product, **fields: Any) -> Product:
    unknown = set(fields) - set(_PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"Not a product field: {', '.join(sorted(unknown))}")
    with transaction.atomic(), recorded_by(by):
        for name, value in fields.items():
            setattr(product, name, value)
        return _product_checked(product)


# --- Lots and their stock ---------------------------------------------------------


def lot_receive(
    *,
    by: User | None,
    product: Product,
    lot_number: str,
    expiry_date: datetime.date,
    received_on: datetime.date,
    vials_received: int,
    labelled_billions_per_vial: Decimal,
    measured_billions_per_vial: Decimal | None = None,
    measured_source: str = "",
    storage_location: str = "",
) -> Lot:
    """Record a delivered lot and put its vials into stock (a 'received' movement)."""
    lot_number = lot_number.strip()
    errors: dict[str, str] = {}
    if expiry_date <= received_on:
        errors["expiry_date"] = (
            f"The expiry date must be after the day it was received ({received_on:%Y-%m-%d})."
        )
    if received_on > timezone.localdate():
        errors["received_on"] = "A lot cannot be received in the future."
    if vials_received is None or vials_received < 1:
        errors["vials_received"] = "A delivery has at least one vial."
    elif vials_received > MAX_VIALS_PER_MOVEMENT:
        errors["vials_received"] = _TOO_MANY
    if labelled_billions_per_vial is None or labelled_billions_per_vial <= 0:
        errors["labelled_billions_per_vial"] = "Give the particle count printed on the label."
    if measured_billions_per_vial is not None and measured_billions_per_vial <= 0:
        errors["measured_billions_per_vial"] = "A measured count is more than zero."
    elif measured_billions_per_vial is None and measured_source.strip():
        errors["measured_billions_per_vial"] = "Give the measured count the source refers to."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), recorded_by(by):
        # Locks the product row, so two people receiving the same lot number at once
        # get the clear message below rather than a unique-constraint error.
        Product.objects.select_for_update().filter(pk=product.pk).first()
        existing = Lot.objects.filter(product=product, lot_number__iexact=lot_number).first()
        if existing is not None:
            raise ValidationError(
                {
                    "lot_number": f"Lot {existing.lot_number} of {product.name} was already "
                    f"received on {existing.received_on:%Y-%m-%d}."
                }
            )
        lot = _saved(
            Lot(
                product=product,
                lot_number=lot_number,
                expiry_date=expiry_date,
                received_on=received_on,
                vials_received=vials_received,
                labelled_billions_per_vial=labelled_billions_per_vial,
                measured_billions_per_vial=measured_billions_per_vial,
                measured_source=measured_source,
                storage_location=storage_location,
                created_by=by,
            )
        )
        StockMovement.objects.create(
            lot=lot,
            kind=StockMovement.Kind.RECEIVED,
            vials=vials_received,
            reason="Delivery received",
            by=by,
        )
        lot.refresh_from_db(fields=["vials_on_hand"])
        return lot


def lot_history_record(
    *,
    by: User,
    product: Product,
    lot_number: str,
    first_given_on: datetime.date,
    last_given_on: datetime.date,
    largest_dose_billions: Decimal,
    expiry_date: datetime.date | None = None,
) -> Lot:
    """The lot a clinic's past records name, found or recorded as history only: never
    in stock (no vials, no ledger movement), never given again, traced and recalled like
    any lot. Its label is not known, so it holds the least the records tell: received
    by the first day it was given, in date on the last (unless the expiry is given), at
    least the largest dose per vial. A lot already here, in stock or not, is returned
    as it is: its past doses are history and take nothing from stock either way."""
    lot_number = lot_number.strip()
    with transaction.atomic(), recorded_by(by):
        existing = Lot.objects.filter(product=product, lot_number__iexact=lot_number).first()
        if existing is not None:
            return existing
        return _saved(
            Lot(
                product=product,
                lot_number=lot_number,
                expiry_date=expiry_date or last_given_on,
                received_on=first_given_on,
                vials_received=0,
                labelled_billions_per_vial=largest_dose_billions,
                history_only=True,
                created_by=by,
            )
        )


_LOT_EDITABLE = ("measured_billions_per_vial", "measured_source", "storage_location")


def lot_update(*, by: User, lot: Lot, **fields: Any) -> Lot:
    """Facts that arrive or change after delivery: the measured particle count (from a
    certificate of analysis) and where the lot is stored. What was delivered is fixed."""
    unknown = set(fields) - set(_LOT_EDITABLE)
    if unknown:
        raise ValidationError(
            {name: "This cannot be changed after the lot is received." for name in unknown}
        )
    with transaction.atomic(), recorded_by(by):
        for name, value in fields.items():
            setattr(lot, name, value)
        measured = lot.measured_billions_per_vial
        if measured is not None and Decimal(measured) <= 0:
            raise ValidationError(
                {"measured_billions_per_vial": "A measured count is more than zero."}
            )
        if measured is None and lot.measured_source.strip():
            raise ValidationError(
                {"measured_billions_per_vial": "Give the measured count the source refers to."}
            )
        return _saved(lot)


def _reason_required(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why."})
    return reason


def _stock_change(*, by: User, lot: Lot, kind: str, vials: int, reason: str) -> StockMovement:
    if abs(vials) > MAX_VIALS_PER_MOVEMENT:
        raise ValidationError({"vials": _TOO_MANY})
    with transaction.atomic(), recorded_by(by):
        locked = Lot.objects.select_for_update().get(pk=lot.pk)
        if locked.history_only:
            raise ValidationError(
                {"vials": f"Lot {locked.lot_number} is known from past records only: no stock."}
            )
        if locked.vials_on_hand + vials < 0:
            raise ValidationError(
                {
                    "vials": f"Lot {locked.lot_number} has {locked.vials_on_hand} vials on "
                    f"hand; it cannot go below zero."
                }
            )
        movement = StockMovement.objects.create(
            lot=locked, kind=kind, vials=vials, reason=reason, by=by
        )
        lot.refresh_from_db(fields=["vials_on_hand"])
        return movement


def stock_waste(*, by: User, lot: Lot, vials: int, reason: str) -> StockMovement:
    """Vials that can no longer be given (dropped, broken cold chain, opened and unused)."""
    reason = _reason_required(reason)
    if vials < 1:
        raise ValidationError({"vials": "Waste at least one vial."})
    return _stock_change(
        by=by, lot=lot, kind=StockMovement.Kind.WASTED, vials=-vials, reason=reason
    )


def stock_adjust(*, by: User, lot: Lot, vials: int, reason: str) -> StockMovement:
    """A stock-count correction: positive adds vials found, negative removes vials missing."""
    reason = _reason_required(reason)
    if vials == 0:
        raise ValidationError({"vials": "An adjustment adds or removes at least one vial."})
    return _stock_change(
        by=by, lot=lot, kind=StockMovement.Kind.ADJUSTED, vials=vials, reason=reason
    )


def lot_status_set(*, by: User, lot: Lot, status: str, reason: str) -> Lot:
    """Quarantine a lot, release it, or (later) recall it. Only available lots are usable."""
    reason = _reason_required(reason)
    if status not in Lot.Status.values:
        raise ValidationError({"status": f"Unknown lot status {status!r}."})
    with transaction.atomic(), recorded_by(by):
        locked = Lot.objects.select_for_update().get(pk=lot.pk)
        if locked.status == Lot.Status.RECALLED and status != Lot.Status.RECALLED:
            raise ValidationError({"status": f"Lot {locked.lot_number} is recalled for good."})
        if locked.status == status:
            raise ValidationError(
                {"status": f"Lot {locked.lot_number} is already {locked.get_status_display()}."}
            )
        locked.status = status
        locked.status_reason = reason
        locked.save(update_fields=["status", "status_reason", "updated_at"])
        return locked
