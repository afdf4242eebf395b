"""Products over REST, found by manufacturer or GTIN."""

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from apps.accounts.requests import StaffAPIRequest
from apps.inventory import selectors, services
from apps.inventory.api import examples
from apps.inventory.api.serializers import ProductSerializer
from apps.inventory.models import Product
from exotrack.api.errors import service_errors_documented
from exotrack.api.idempotency import IdempotentCreateMixin


class ProductFilter(django_filters.FilterSet):
    """The product list's query parameters, validated and documented here (the field
    names give their documented types) and answered by selectors.product_search."""

    manufacturer = django_filters.NumberFilter(field_name="manufacturer_id")
    gtin = django_filters.CharFilter()

    def filter_queryset(self, queryset):
        given = self.form.cleaned_data
        return selectors.product_search(manufacturer_id=given["manufacturer"], gtin=given["gtin"])


@service_errors_documented(
    ["create", "update", "partial_update"],
    ["name", "gtin", "storage_max_celsius", "non_field_errors"],
)
@extend_schema_view(
    list=extend_schema(examples=[OpenApiExample("A product", value=examples.PRODUCT)]),
    create=extend_schema(
        examples=[
            OpenApiExample(
                "New product",
                value={
                    k: v
                    for k, v in examples.PRODUCT.items()
                    if k not in ("id", "manufacturer_name")
                },
                request_only=True,
            )
        ]
    ),
)
class ProductViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    request: StaffAPIRequest
    queryset = Product.objects.select_related("manufacturer")
    serializer_class = ProductSerializer
    filterset_class = ProductFilter

    def perform_create(self, serializer) -> None:
        serializer.instance = services.product_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer) -> None:
        services.product_update(
            by=self.request.user, product=serializer.instance, **serializer.validated_data
        )
