"""404 for an address no route matches (e.g. /api/v1/patients/abc/), and for a view's
Http404.

DRF's error handler only sees requests that reached a view; an unmatched address falls
through to this handler. API clients get the same JSON error shape as every other API
error; staff get the site's page with the view's reason and a way back."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "type": "client_error",
                "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
            },
            status=404,
        )
    # A view's own reason ("Open the patient first, then record the visit."); an address
    # no route matches carries the routes tried, which are not for the reader.
    reason = ""
    if not isinstance(exception, Resolver404) and exception.args:
        reason = exception.args[0] if isinstance(exception.args[0], str) else ""
    return render(request, "404.html", {"reason": reason}, status=404)
