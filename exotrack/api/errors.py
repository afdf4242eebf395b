"""One translation of a service's refusal into the API's documented error body.

Services raise Django's `ValidationError` and `PermissionDenied`; endpoints call them
without try/except and this handler answers 400 naming each field (with the service's own
code, 'invalid' when it gave none) or 403 with the service's reason. A body over
DATA_UPLOAD_MAX_MEMORY_SIZE is answered 413 in the same error shape."""

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_standardized_errors.handler import ExceptionHandler
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail

# DRF's code for a value it refuses without a more precise reason.
DEFAULT_CODE = "invalid"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def _details(errors: list[DjangoValidationError]) -> list[ErrorDetail]:
    return [ErrorDetail(m, code=e.code or DEFAULT_CODE) for e in errors for m in e.messages]


def service_error(error: DjangoValidationError) -> exceptions.ValidationError:
    """A service's refusal as an API 400 naming each field, errors outside any field as
    non_field_errors."""
    if not hasattr(error, "error_dict"):
        return exceptions.ValidationError({"non_field_errors": _details(error.error_list)})
    return exceptions.ValidationError(
        {
            ("non_field_errors" if field == NON_FIELD_ERRORS else field): _details(errors)
            for field, errors in error.error_dict.items()
        }
    )


class ServiceErrorHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DjangoValidationError):
            return service_error(exc)
        if isinstance(exc, DjangoPermissionDenied):
            # The package drops the reason; the service's words tell the client what to do.
            return exceptions.PermissionDenied(str(exc) or None)
        if isinstance(exc, RequestDataTooBig):
            return RequestTooLarge()
        return super().convert_known_exceptions(exc)


def service_errors_documented(actions: list[str], fields: list[str]):
    """Document the code a service answers with when it names none ('invalid') on these
    fields of these actions, so the published error schema covers every 400 the API gives."""

    def decorate(viewset):
        for field in fields:
            viewset = extend_validation_errors([DEFAULT_CODE], field_name=field, actions=actions)(
                viewset
            )
        return viewset

    return decorate
