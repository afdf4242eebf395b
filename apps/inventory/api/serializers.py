"""The inventory's records as the API shows them, shared by its resources."""

from typing import TYPE_CHECKING, Any

from rest_framework import serializers

from apps.inventory.models import Lot, Manufacturer, Product, StockMovement
from apps.inventory.services import MAX_VIALS_PER_MOVEMENT
from exotrack.dates import ANY_CLINIC_DATE

if TYPE_CHECKING:
    from rest_framework.validators import Validator


class ManufacturerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Manufacturer
        fields = ["id", "name", "contact", "website"]


class ProductSerializer(serializers.ModelSerializer):
    manufacturer_name = serializers.CharField(source="manufacturer.name", read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "manufacturer",
            "manufacturer_name",
            "name",
            "gtin",
            "regulatory_status",
            "storage_min_celsius",
            "storage_max_celsius",
        ]


class LotSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    manufacturer_name = serializers.CharField(source="product.manufacturer.name", read_only=True)

    class Meta:
        model = Lot
        fields = [
            "id",
            "product",
            "product_name",
            "manufacturer_name",
            "lot_number",
            "expiry_date",
            "received_on",
            "vials_received",
            "vials_on_hand",
            "labelled_billions_per_vial",
            "measured_billions_per_vial",
            "measured_source",
            "storage_location",
            "status",
            "status_reason",
            "created_at",
        ]
        read_only_fields = ["vials_on_hand", "status", "status_reason", "created_at"]
        extra_kwargs = {
            "vials_received": {"min_value": 1, "max_value": MAX_VIALS_PER_MOVEMENT},
            "expiry_date": {"validators": [ANY_CLINIC_DATE]},
            "received_on": {"validators": [ANY_CLINIC_DATE]},
        }
        # The receiving service checks the lot number per product with a clearer message.
        validators: "list[Validator[Any]]" = []


class StockMovementSerializer(serializers.ModelSerializer):
    by = serializers.CharField(
        read_only=True, allow_null=True, help_text="Who; null for seeded stock."
    )

    class Meta:
        model = StockMovement
        fields = ["id", "lot", "kind", "vials", "reason", "at", "by"]
