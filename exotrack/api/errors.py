from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail


def service_error(
    error: DjangoValidationError, *, keep_codes: bool = False
) -> serializers.ValidationError:
    """A service's refusal as an API 400 naming each field.

    Codes default to DRF's documented 'invalid'; `keep_codes` passes the service's own
    codes through for endpoints whose schema documents them (e.g. visit warnings)."""
    if not hasattr(error, "error_dict"):
        return serializers.ValidationError({"non_field_errors": error.messages})
    body = {}
    for field, errors in error.error_dict.items():
        key = "non_field_errors" if field == NON_FIELD_ERRORS else field
        if keep_codes:
            body[key] = [
                ErrorDetail(m, code=e.code or "invalid") for e in errors for m in e.messages
            ]
        else:
            body[key] = [m for e in errors for m in e.messages]
    return serializers.ValidationError(body)
