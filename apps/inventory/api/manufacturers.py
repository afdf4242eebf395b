"""Manufacturers over REST."""

from rest_framework import mixins, viewsets

from apps.accounts.requests import StaffAPIRequest
from apps.inventory import services
from apps.inventory.api.serializers import ManufacturerSerializer
from apps.inventory.models import Manufacturer
from exotrack.api.errors import service_errors_documented
from exotrack.api.idempotency import IdempotentCreateMixin


@service_errors_documented(["create", "update", "partial_update"], ["name", "non_field_errors"])
class ManufacturerViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    request: StaffAPIRequest
    queryset = Manufacturer.objects.order_by("name")
    serializer_class = ManufacturerSerializer

    def perform_create(self, serializer) -> None:
        serializer.instance = services.manufacturer_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer) -> None:
        services.manufacturer_update(
            by=self.request.user, manufacturer=serializer.instance, **serializer.validated_data
        )
