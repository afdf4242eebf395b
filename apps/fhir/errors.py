"""Every FHIR error is an OperationOutcome: one exception type and one DRF handler for
the FHIR views (the REST API keeps its own error body)."""

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

# DRF's errors as FHIR issue codes (http://hl7.org/fhir/issue-type).
_ISSUE_CODES = {
    status.HTTP_400_BAD_REQUEST: "invalid",
    status.HTTP_401_UNAUTHORIZED: "login",
    status.HTTP_403_FORBIDDEN: "forbidden",
    status.HTTP_404_NOT_FOUND: "not-found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "not-supported",
    status.HTTP_406_NOT_ACCEPTABLE: "not-supported",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


class FhirError(exceptions.APIException):
    """A request we refuse, with the FHIR issue code that says why."""

    def __init__(self, detail: str, *, status_code: int = 400, code: str = "invalid") -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.issue_code = code


def operation_outcome(diagnostics: str, *, code: str, severity: str = "error") -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


def fhir_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if not isinstance(exc, exceptions.APIException):
        return None
    code = getattr(exc, "issue_code", None) or _ISSUE_CODES.get(exc.status_code, "exception")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    headers = {}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        headers["WWW-Authenticate"] = 'Token realm="fhir"'
        exc.status_code = status.HTTP_401_UNAUTHORIZED
        code = "login"
    return Response(operation_outcome(detail, code=code), status=exc.status_code, headers=headers)
