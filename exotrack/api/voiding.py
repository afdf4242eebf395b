"""Voiding over REST, one way for every voidable record: POST {id}/void/ with the reason;
the record's void service decides, the answer is the record as it now reads."""

from typing import Any

from django.db.models import Model, QuerySet
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from exotrack.api.permissions import requires


# For a GenericViewSet. `void_permission` is the permission the void service checks too;
# `void_serializer_class` carries the reason (one per resource, so the schema says what is
# voided); `perform_void` calls the resource's void service. (A comment: drf-spectacular
# would publish a mixin's docstring in the schema.)
class VoidActionMixin:
    void_permission: str
    void_serializer_class: type[serializers.Serializer]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Every void service refuses a second void with this code (exotrack.voiding).
        extend_validation_errors(["already_voided"], field_name="reason", actions=["void"])(cls)

    def perform_void(self, record: Model, *, by, reason: str) -> None:
        raise NotImplementedError(f"{type(self).__name__} names its void service")

    def voided_queryset(self) -> QuerySet:
        """Where the voided record is read back from for the answer."""
        return self.get_queryset()

    def get_permissions(self) -> list[BasePermission]:
        if self.action == "void":
            return [requires(self.void_permission)()]
        return super().get_permissions()

    @action(detail=True, methods=["post"])
    def void(self, request: Request, pk=None) -> Response:
        record = self.get_object()
        body = self.void_serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        self.perform_void(record, by=request.user, reason=body.validated_data["reason"])
        return Response(self.get_serializer(self.voided_queryset().get(pk=record.pk)).data)
