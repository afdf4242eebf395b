"""The second sign-in step: after the password, a member with a second factor must pass
it, and one whose role requires a second factor must first enrol one. Until then only
those pages and signing out answer (the API says 403).

What the session needs is decided once at sign-in (apps/accounts/signals.py) and kept
in the session, so pages cost no extra query."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

SECOND_STEP = "second_step"
VERIFY = "verify"
ENROL = "enrol"

_API_PATHS = ("/api/v1/", "/api/schema/")


def _open_paths() -> tuple[str, ...]:
    return (
        reverse("second-step"),
        reverse("second-factor-enrol"),
        reverse("logout"),
        "/static/",
        "/healthz",
        "/webauthn/",
    )


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pending = getattr(request, "session", {}).get(SECOND_STEP)
        if (
            pending
            and request.user.is_authenticated
            and not request.user.is_verified()
            and not request.path.startswith(_open_paths())
        ):
            return self._refuse(request, pending)
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest, pending: str) -> HttpResponse:
        if request.path.startswith(_API_PATHS):
            return JsonResponse(
                {
                    "type": "client_error",
                    "errors": [
                        {
                            "code": "second_factor_required",
                            "detail": "Finish signing in with your second factor first.",
                            "attr": None,
                        }
                    ],
                },
                status=403,
            )
        target = "second-step" if pending == VERIFY else "second-factor-enrol"
        url = reverse(target)
        if request.method == "GET" and request.get_full_path() != "/":
            url = f"{url}?next={request.get_full_path()}"
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
