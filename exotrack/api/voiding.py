"""Voiding over REST, one way for every voidable record: POST {id}/void/ with the reason;
the record's void service decides, the answer is the record as it now reads."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from django.db.models import QuerySet
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from exotrack.api.permissions import requires

if TYPE_CHECKING:
    # django-stubs' name for AUTH_USER_MODEL, which its plugin resolves to the clinic's
    # user model: the shell names the signed-in user without importing an app.
    from django.contrib.auth.models import _User
    from rest_framework.permissions import _SupportsHasPermission
    from rest_framework.viewsets import GenericViewSet as _ViewSet
else:
    _ViewSet = object


# For a GenericViewSet. `void_permission` is the permission the void service checks too;
# `void_serializer_class` carries the reason (one per resource, so the schema says what is
# voided); `perform_void` calls the resource's void service. (A comment: drf-spectacular
# would publish a mixin's docstring in the schema.)
class VoidActionMixin(_ViewSet):
    void_permission: str
    void_serializer_class: type[serializers.Serializer]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Every void service refuses a second void with this code (exotrack.voiding).
        extend_validation_errors(["already_voided"], field_name="reason", actions=["void"])(cls)

    # `record` is Any: each resource's void service takes its own model.
    def perform_void(self, record: Any, *, by: "_User", reason: str) -> None:
        raise NotImplementedError(f"{type(self).__name__} names its void service")

    def voided_queryset(self) -> QuerySet:
        """Where the voided record is read back from for the answer."""
        return self.get_queryset()

    def get_permissions(self) -> Sequence["_SupportsHasPermission"]:
        if self.action == "void":
            return [requires(self.void_permission)()]
        return super().get_permissions()

    @action(detail=True, methods=["post"])
    def void(self, request: Request, pk: str | None = None) -> Response:
        record = self.get_object()
        body = self.void_serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        # The void permission above lets only a signed-in user through.
        by = cast("_User", request.user)
        self.perform_void(record, by=by, reason=body.validated_data["reason"])
        return Response(self.get_serializer(self.voided_queryset().get(pk=record.pk)).data)
