"""404 for an address no route matches (e.g. /api/v1/patients/abc/).

DRF's error handler only sees requests that reached a view; an unmatched address falls
through to Django's HTML page. API clients get the same JSON error shape as every other
API error instead."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "type": "client_error",
                "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
            },
            status=404,
        )
    return page_not_found(request, exception)
