import datetime

import pghistory
import pgtrigger
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from exotrack.models import Recorded


@pghistory.track()
class Manufacturer(Recorded):
    name = models.CharField(max_length=160, unique=True)
    contact = models.TextField(blank=True, help_text="Who to call about quality or recalls.")
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Product(Recorded):
    manufacturer = models.ForeignKey(
        Manufacturer, on_delete=models.PROTECT, related_name="products"
    )
    name = models.CharField(max_length=160)
    gtin = models.CharField(
        "GTIN",
        max_length=14,
        unique=True,
        null=True,
        blank=True,
        help_text="14-digit GS1 trade item number printed in the vial barcode (AI 01).",
    )
    regulatory_status = models.CharField(
        max_length=200,
        blank=True,
        help_text="e.g. 'Investigational, IND 012345'. No exosome product is FDA-approved.",
    )
    storage_min_celsius = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    storage_max_celsius = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["manufacturer__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["manufacturer", "name"], name="product_name_per_maker"),
            models.CheckConstraint(
                condition=Q(storage_min_celsius__isnull=True)
                | Q(storage_max_celsius__isnull=True)
                | Q(storage_max_celsius__gte=F("storage_min_celsius")),
                name="product_storage_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.manufacturer.name})"


@pghistory.track()
class Lot(Recorded):
    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        QUARANTINED = "quarantined", "Quarantined"
        RECALLED = "recalled", "Recalled"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(max_length=40)
    expiry_date = models.DateField()
    received_on = models.DateField()
    vials_received = models.PositiveIntegerField()
    labelled_billions_per_vial = models.DecimalField(
        "labelled billions of particles per vial", max_digits=8, decimal_places=2
    )
    measured_billions_per_vial = models.DecimalField(
        "measured billions of particles per vial",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
    )
    measured_source = models.CharField(
        max_length=200, blank=True, help_text="e.g. 'NTA, certificate of analysis 2024-117'."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.AVAILABLE)
    status_reason = models.TextField(blank=True)
    storage_location = models.CharField(max_length=120, blank=True)
    # Kept by a database trigger from the StockMovement ledger; never written by code.
    vials_on_hand = models.IntegerField(default=0, editable=False)
    # A lot known only from a clinic's past records (imported visits from before
    # ExoTrack): never in stock here, so no vials and no ledger; never given again, but
    # its recipients are traced and recalled like any other lot's. Its expiry date and
    # count per vial are the least the records tell (see lot_history_record).
    # A default in the database too: bulk loads (COPY) name only the columns they fill.
    history_only = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["expiry_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "lot_number"], name="lot_number_per_product"
            ),
            models.CheckConstraint(
                condition=Q(vials_on_hand__gte=0), name="lot_stock_never_negative"
            ),
            models.CheckConstraint(
                condition=Q(vials_received__gt=0, history_only=False)
                | Q(vials_received=0, history_only=True),
                name="lot_received_some_vials",
            ),
            # The backstop: any stock movement on a history-only lot is refused.
            models.CheckConstraint(
                condition=Q(history_only=False) | Q(vials_on_hand=0),
                name="lot_history_only_never_in_stock",
            ),
            models.CheckConstraint(
                condition=Q(labelled_billions_per_vial__gt=0), name="lot_labelled_count_positive"
            ),
            models.CheckConstraint(
                condition=Q(measured_billions_per_vial__isnull=True)
                | Q(measured_billions_per_vial__gt=0),
                name="lot_measured_count_positive",
            ),
        ]
        indexes = [models.Index(fields=["status", "expiry_date"], name="lot_usable_idx")]
        permissions = [
            (
                "contact_lot_recipients",
                "Can put everyone who received a quarantined or recalled lot on the call list",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product.name} lot {self.lot_number}"

    # The one rule of when a lot may be given, in its two forms: a filter for lists and
    # the reason a chosen or scanned lot is refused. Keep them in step.

    @staticmethod
    def usable_on(on: datetime.date, *, through: str = "") -> Q:
        """Lots usable on a day, as a filter: available, not expired that day, stock
        left. `through` reaches them over a relation (e.g. "lots__" from a product)."""
        return Q(
            **{
                f"{through}status": Lot.Status.AVAILABLE,
                f"{through}history_only": False,
                f"{through}expiry_date__gte": on,
                f"{through}vials_on_hand__gt": 0,
            }
        )

    def unusable_reason(self, on: datetime.date, *, vials: int = 1) -> ValidationError | None:
        """Why `vials` of this lot cannot be given on `on`, one message and code per
        reason, or None when they can. Stock is read from this instance: lock the row
        first when the answer decides a write."""
        if self.history_only:
            return ValidationError(
                f"Lot {self.lot_number} is known only from past records; it was never in stock.",
                code="lot_unusable",
            )
        if self.status != Lot.Status.AVAILABLE:
            return ValidationError(
                f"Lot {self.lot_number} is {self.get_status_display().lower()}.",
                code="lot_unusable",
            )
        if self.expiry_date < on:
            return ValidationError(
                f"Lot {self.lot_number} expired on {self.expiry_date:%Y-%m-%d}.",
                code="lot_unusable",
            )
        if self.vials_on_hand < vials:
            return ValidationError(
                f"Lot {self.lot_number} has {self.vials_on_hand} "
                f"{'vial' if self.vials_on_hand == 1 else 'vials'} left, {vials} needed.",
                code="not_enough_stock",
            )
        return None


class StockMovement(models.Model):
    """The stock ledger of a lot. Append-only: a correction is a new movement."""

    class Kind(models.TextChoices):
        RECEIVED = "received", "Received"
        USED = "used", "Used at a visit"
        WASTED = "wasted", "Wasted"
        ADJUSTED = "adjusted", "Adjusted"
        RETURNED = "returned", "Returned unopened (visit voided)"

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    vials = models.IntegerField(help_text="Positive adds to stock, negative takes from it.")
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(vials=0), name="movement_moves_something"),
            models.CheckConstraint(
                condition=Q(kind__in=["received", "returned"], vials__gt=0)
                | Q(kind__in=["used", "wasted"], vials__lt=0)
                | Q(kind="adjusted"),
                name="movement_sign_matches_kind",
            ),
        ]
        triggers = [
            # The balance on the lot follows the ledger inside the same transaction; the
            # lot's CHECK constraint then refuses any movement that would go below zero.
            pgtrigger.Trigger(
                name="apply_movement_to_lot",
                operation=pgtrigger.Insert,
                when=pgtrigger.After,
                func=(
                    "UPDATE inventory_lot SET vials_on_hand = vials_on_hand + NEW.vials "
                    "WHERE id = NEW.lot_id; RETURN NULL;"
                ),
            ),
            pgtrigger.Protect(
                name="ledger_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.vials:+d} vials of {self.lot}"
