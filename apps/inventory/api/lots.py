"""Lots over REST: receiving, the measured count, barcode scans, waste, stock counts and
quarantine. Other apps add actions on a lot through the resource registry."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.requests import StaffAPIRequest
from apps.inventory import selectors, services
from apps.inventory.api import examples
from apps.inventory.api.serializers import (
    LotSerializer,
    ProductSerializer,
    StockMovementSerializer,
)
from apps.inventory.barcodes import BARCODE_ERROR_CODES
from apps.inventory.models import Lot
from apps.inventory.services import MAX_VIALS_PER_MOVEMENT
from exotrack.api.errors import service_errors_documented
from exotrack.api.extensions import ExtensibleResource
from exotrack.api.idempotency import IdempotentCreateMixin
from exotrack.api.permissions import requires
from exotrack.dates import ClinicDateFilter, ClinicDateSerializerField


class LotChangeSerializer(serializers.ModelSerializer):
    """What may change after delivery: the measured count and where the lot is kept."""

    class Meta:
        model = Lot
        fields = ["measured_billions_per_vial", "measured_source", "storage_location"]


class WasteSerializer(serializers.Serializer):
    vials = serializers.IntegerField(
        min_value=1, max_value=MAX_VIALS_PER_MOVEMENT, help_text="How many vials were wasted."
    )
    reason = serializers.CharField()


class AdjustSerializer(serializers.Serializer):
    vials = serializers.IntegerField(
        min_value=-MAX_VIALS_PER_MOVEMENT,
        max_value=MAX_VIALS_PER_MOVEMENT,
        help_text="+ vials found, - vials missing; never 0.",
    )
    reason = serializers.CharField()


class LotStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[Lot.Status.QUARANTINED, Lot.Status.AVAILABLE],
        help_text="Quarantine a lot or release it. Only available lots are usable.",
    )
    reason = serializers.CharField()


class ScanSerializer(serializers.Serializer):
    barcode = serializers.CharField(
        trim_whitespace=False,
        help_text="The code as the scanner sends it (GS separators, optional ]d2 or ]C1 "
        "prefix) or as printed, with the application identifiers in parentheses.",
    )


class ScannedVialSerializer(serializers.Serializer):
    gtin = serializers.CharField()
    lot_number = serializers.CharField()
    expiry_date = ClinicDateSerializerField(allow_null=True)
    serial = serializers.CharField(allow_blank=True)
    product = ProductSerializer()
    lot = LotSerializer(allow_null=True, help_text="The received lot, or null if not yet received.")


class LotFilter(django_filters.FilterSet):
    product = django_filters.NumberFilter(field_name="product_id")
    status = django_filters.ChoiceFilter(choices=Lot.Status.choices)
    usable_on = ClinicDateFilter(
        method="filter_usable_on",
        label="Only lots usable on this date (available, not expired, in stock), "
        "first-expiry-first-out: the lot picker of a visit.",
    )
    expires_by = ClinicDateFilter(field_name="expiry_date", lookup_expr="lte")

    def filter_usable_on(self, queryset, name, value):
        return queryset.filter(selectors.usable_on(value)).order_by(*selectors.FEFO)


@service_errors_documented(
    ["create"],
    [
        "lot_number",
        "expiry_date",
        "received_on",
        "vials_received",
        "labelled_billions_per_vial",
        "measured_billions_per_vial",
        "non_field_errors",
    ],
)
@service_errors_documented(["partial_update"], ["measured_billions_per_vial", "non_field_errors"])
@service_errors_documented(["waste", "adjust"], ["vials", "reason", "non_field_errors"])
@service_errors_documented(["set_status"], ["status", "reason", "non_field_errors"])
@extend_validation_errors(list(BARCODE_ERROR_CODES), field_name="barcode", actions=["scan"])
@extend_schema_view(
    list=extend_schema(
        summary="List lots",
        description="Soonest expiry first. With usable_on, only lots a visit on that date "
        "may draw from, first-expiry-first-out.",
        examples=[OpenApiExample("A lot", value=examples.LOT)],
    ),
    retrieve=extend_schema(
        summary="Read a lot", examples=[OpenApiExample("A lot", value=examples.LOT)]
    ),
    partial_update=extend_schema(
        summary="Record the measured count or storage of a lot",
        description="What was delivered (product, lot number, expiry, vials, labelled "
        "count) is fixed; stock changes go through waste and adjust.",
        request=LotChangeSerializer,
        responses={200: LotSerializer},
        examples=[
            OpenApiExample(
                "Certificate of analysis arrived",
                value={
                    "measured_billions_per_vial": "3.40",
                    "measured_source": "NTA, certificate of analysis 2026-117",
                },
                request_only=True,
            )
        ],
    ),
    create=extend_schema(
        summary="Receive a lot",
        description="Records the delivery and puts its vials into stock.",
        examples=[
            OpenApiExample("A delivery", value=examples.RECEIVE, request_only=True),
            OpenApiExample(
                "Lot already received",
                value=examples.validation_error(
                    "lot_number", "Lot ABC123 of XoGlo Pro was already received on 2026-11-20."
                ),
                response_only=True,
                status_codes=["400"],
            ),
        ],
    ),
)
class LotViewSet(
    IdempotentCreateMixin,
    ExtensibleResource,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The lots as the inventory serves them, plus what a recall needs."""

    # Wasting or adjusting vials writes a ledger movement: a retry with the same key, once.
    idempotent_actions = ("create", "waste", "adjust")
    request: StaffAPIRequest

    # The safety app adds the recall actions (recall, quarantine, recipients,
    # contact-recipients) through the resource registry.
    resource_name = "lots"
    queryset = Lot.objects.select_related("product__manufacturer").order_by("expiry_date", "id")
    serializer_class = LotSerializer
    filterset_class = LotFilter

    def partial_update(self, request: Request, pk=None) -> Response:
        lot = self.get_object()
        body = LotChangeSerializer(lot, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        services.lot_update(by=self.request.user, lot=lot, **body.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=lot.pk)).data)

    def perform_create(self, serializer) -> None:
        serializer.instance = services.lot_receive(
            by=self.request.user, **serializer.validated_data
        )

    @extend_schema(
        summary="Read a vial barcode",
        description="Parses a GS1 DataMatrix or GS1-128 code and matches it to the product "
        "(by GTIN) and, if already received, the lot. Saves nothing.",
        request=ScanSerializer,
        responses={200: ScannedVialSerializer},
        examples=[
            OpenApiExample(
                "As printed",
                value={"barcode": "(01)09506000134352(17)270131(10)ABC123(21)X1"},
                request_only=True,
            ),
            OpenApiExample(
                "As a scanner sends it",
                value={"barcode": "]d201095060001343521727013110ABC123\u001d21X1"},
                request_only=True,
            ),
            OpenApiExample(
                "Matched",
                value={
                    "gtin": "09506000134352",
                    "lot_number": "ABC123",
                    "expiry_date": "2027-01-31",
                    "serial": "X1",
                    "product": examples.PRODUCT,
                    "lot": examples.LOT,
                },
                response_only=True,
            ),
            OpenApiExample(
                "Unknown product",
                value=examples.validation_error(
                    "barcode",
                    "No product has GTIN 09506000134352. Add the GTIN to the product "
                    "before scanning.",
                    "unknown_gtin",
                ),
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    @action(
        detail=False,
        methods=["post"],
        permission_classes=[requires("inventory.view_lot")],
        filterset_class=None,
        pagination_class=None,
    )
    def scan(self, request: StaffAPIRequest) -> Response:
        body = ScanSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            vial = services.barcode_parse(body.validated_data["barcode"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                {"barcode": [serializers.ErrorDetail(m, code=error.code) for m in error.messages]}
            ) from error
        return Response(ScannedVialSerializer(vial).data)

    def _stock_change(self, request: StaffAPIRequest, change, body_class) -> Response:
        lot = self.get_object()
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        movement = change(by=request.user, lot=lot, **body.validated_data)
        return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Waste vials of a lot",
        request=WasteSerializer,
        responses={201: StockMovementSerializer},
        examples=[
            OpenApiExample(
                "Dropped vial", value={"vials": 1, "reason": "Vial dropped"}, request_only=True
            ),
            OpenApiExample(
                "More than on hand",
                value=examples.validation_error(
                    "vials", "Lot ABC123 has 2 vials on hand; it cannot go below zero."
                ),
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[requires("inventory.view_lot", "inventory.add_stockmovement")],
    )
    def waste(self, request: StaffAPIRequest, pk=None) -> Response:
        return self._stock_change(request, services.stock_waste, WasteSerializer)

    @extend_schema(
        summary="Correct the stock count of a lot",
        request=AdjustSerializer,
        responses={201: StockMovementSerializer},
        examples=[
            OpenApiExample(
                "Stock count found one vial missing",
                value={"vials": -1, "reason": "Monthly count: 16 vials, ledger said 17"},
                request_only=True,
            )
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[requires("inventory.view_lot", "inventory.add_stockmovement")],
    )
    def adjust(self, request: StaffAPIRequest, pk=None) -> Response:
        return self._stock_change(request, services.stock_adjust, AdjustSerializer)

    @extend_schema(
        summary="Quarantine or release a lot",
        request=LotStatusSerializer,
        responses={200: LotSerializer},
        examples=[
            OpenApiExample(
                "Cold chain broken",
                value={"status": "quarantined", "reason": "Freezer alarm overnight"},
                request_only=True,
            )
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="status",
        permission_classes=[requires("inventory.view_lot", "inventory.change_lot")],
    )
    def set_status(self, request: StaffAPIRequest, pk=None) -> Response:
        lot = self.get_object()
        body = LotStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lot = services.lot_status_set(by=request.user, lot=lot, **body.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=lot.pk)).data)
