"""`Idempotency-Key` on creating endpoints: a client that retries a POST (a timeout, a
double tap, ten parallel copies) gets the first answer again instead of a second record.

The key is claimed by inserting its row first, in the transaction that creates the record:
a parallel request with the same key waits on the unique (user, key) index until the first
commits, then reads the stored answer. A refused request (4xx raised as an error) rolls its
claim back with everything else, so a corrected retry with the same key goes ahead. Keys
are kept IDEMPOTENCY_KEY_HOURS; the same key with another body is answered 422."""

import datetime
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from exotrack.api.errors import DEFAULT_CODE as INVALID
from exotrack.models import IdempotencyKey

if TYPE_CHECKING:
    # django-stubs' name for the clinic's user model (exotrack imports no app).
    from django.contrib.auth.models import _User
    from rest_framework.views import APIView as _View
else:
    _View = object

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_MAX_LENGTH: int = IdempotencyKey._meta.get_field("key").max_length or 0


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request."
    default_code = "idempotency_key_reused"


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _key_of(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is not None and not 1 <= len(key) <= _MAX_LENGTH:
        raise exceptions.ValidationError(
            {"idempotency_key": [f"{HEADER} must be 1 to {_MAX_LENGTH} characters."]}
        )
    return key


def _kept_since() -> datetime.datetime:
    return timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def idempotency_keys_expire() -> int:
    """Forget keys older than IDEMPOTENCY_KEY_HOURS (hourly, from exotrack.tasks)."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=_kept_since()).delete()
    return deleted


def _answered_once(handler: Callable[..., Response]) -> Callable[..., Response]:
    @wraps(handler)
    def run(request: Request, *args: Any, **kwargs: Any) -> Response:
        key = _key_of(request)
        # Runs after authentication and the permission classes: a signed-in user.
        user = cast("_User", request.user)
        if key is None:
            return handler(request, *args, **kwargs)
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            mine = IdempotencyKey.objects.filter(user=user, key=key)
            # An expired key not swept yet counts as new.
            mine.filter(created_at__lt=_kept_since()).delete()
            IdempotencyKey.objects.bulk_create(
                [IdempotencyKey(user=user, key=key, fingerprint=fingerprint)],
                ignore_conflicts=True,
            )
            claim = mine.select_for_update().get()
            if claim.response_status is not None:
                if claim.fingerprint != fingerprint:
                    raise KeyReused()
                return Response(
                    claim.response_body,
                    status=claim.response_status,
                    headers={REPLAYED_HEADER: "true"},
                )
            response = handler(request, *args, **kwargs)
            claim.response_status = response.status_code
            claim.response_body = response.data
            claim.save(update_fields=["response_status", "response_body"])
            return response

    return run


# For a viewset with a `create` action, and any other POST action that creates a record
# (named in `idempotent_actions`: adding a medication, wasting vials). (A comment, not a
# docstring: drf-spectacular would publish a mixin's docstring as the description of a
# viewset without its own.)
class IdempotentCreateMixin(_View):
    idempotent_actions: ClassVar[tuple[str, ...]] = ("create",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The key's own refusal (too long, empty) documented with the action's other
        # errors. The error schema knows actions by name only; a method mapped onto another
        # action's route (adding a medication on .../medications/) is reached as "every
        # POST of the viewset" instead.
        named = {"create", *(extra.__name__ for extra in getattr(cls, "get_extra_actions", list)())}
        known = [a for a in cls.idempotent_actions if a in named]
        extend_validation_errors([INVALID], field_name="idempotency_key", actions=known)(cls)
        if len(known) < len(cls.idempotent_actions):
            extend_validation_errors([INVALID], field_name="idempotency_key", methods=["post"])(cls)

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # The router maps POST to its action before dispatch; wrapping that handler runs
        # the key check after authentication and permissions and around the viewset's own
        # action, whether it overrides DRF's or not.
        if getattr(self, "action_map", {}).get("post") in self.idempotent_actions:
            self.post = _answered_once(self.post)  # type: ignore[has-type]  # set by the router
        return super().dispatch(request, *args, **kwargs)


class KeyReusedErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[KeyReused.default_code])
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class KeyReusedResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    # A field named like Serializer.errors; DRF's metaclass moves declared fields off the class.
    errors = KeyReusedErrorSerializer(many=True)  # type: ignore[assignment]


class AutoSchema(StandardizedErrorsAutoSchema):
    """The standardized error schema, plus the Idempotency-Key header and its 422 answer
    on every idempotent create operation."""

    def _idempotent_create(self) -> bool:
        return (
            isinstance(self.view, IdempotentCreateMixin)
            and self.method == "POST"
            and (getattr(self.view, "action", None) in self.view.idempotent_actions)
        )

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._idempotent_create():
            parameters.append(
                OpenApiParameter(
                    HEADER,
                    {"type": "string", "minLength": 1, "maxLength": _MAX_LENGTH},
                    location=OpenApiParameter.HEADER,
                    description=(
                        "Any unique value per record to create (e.g. a UUID). A retry "
                        f"with the same key within {settings.IDEMPOTENCY_KEY_HOURS} hours "
                        "gets the first answer again, marked Idempotent-Replayed: true; "
                        "the same key with another body gets 422."
                    ),
                )
            )
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        if direction == "response" and self._idempotent_create():
            responses["422"] = self._get_response_for_code(KeyReusedResponseSerializer, "422")
        return responses
