"""Cross-cutting answers of every page and API call: session lifetime, response headers,
and a sign-in redirect for anonymous visitors of a staff page.

Session lifetime: signed out after SESSION_IDLE_TIMEOUT idle, and after
SESSION_ABSOLUTE_TIMEOUT whatever the activity (a shared clinic workstation). The session
is written only when its last-seen time is older than the activity resolution, not on
every request. Must sit
after the session, authentication and message middleware: it reads the signed-in user and
leaves the reason for the sign-in page as a message."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers

_STARTED = "session_started_at"
_SEEN = "session_last_seen_at"
# Answered in JSON; the API docs under /api/docs/ are a page like any other.
_API_PATHS = ("/api/v1/", "/api/schema/")


def mark_session_start(request: HttpRequest) -> None:
    now = time.time()
    request.session[_STARTED] = now
    request.session[_SEEN] = now


def describe_duration(seconds: int) -> str:
    """'15 minutes', '12 hours', '90 minutes', '2 seconds': the largest whole unit."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def to_sign_in(request: HttpRequest) -> HttpResponse:
    if request.headers.get("HX-Request") == "true":
        # A partial swap would put the sign-in page inside the current page: ask htmx
        # to load the sign-in page as a whole instead.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
        return response
    return redirect_to_login(request.get_full_path())


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            reason = self._expired(request)
            if reason:
                logout(request)
                if _is_api(request):
                    # API clients get the normal 401/403 from DRF on the now-anonymous request.
                    return self.get_response(request)
                messages.info(request, reason)
                return to_sign_in(request)
            _note_activity(request)
        return self.get_response(request)

    @staticmethod
    def _expired(request: HttpRequest) -> str | None:
        now = time.time()
        started = request.session.get(_STARTED)
        seen = request.session.get(_SEEN)
        if started is None or seen is None:
            # Token-authenticated API calls carry no session clock.
            return None
        if now - seen > settings.SESSION_IDLE_TIMEOUT:
            idle = describe_duration(settings.SESSION_IDLE_TIMEOUT)
            return f"You were signed out after {idle} without activity."
        if now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
            longest = describe_duration(settings.SESSION_ABSOLUTE_TIMEOUT)
            return f"You were signed out: a session lasts at most {longest}. Please sign in again."
        return None


def activity_resolution() -> float:
    """How stale the stored last-seen time may be. Writing it on every request costs a
    session UPDATE per page; writing it once a minute (or a fifteenth of a short idle
    limit) signs a user out at most that much early, never late."""
    return min(settings.SESSION_ACTIVITY_RESOLUTION, settings.SESSION_IDLE_TIMEOUT / 15)


def _note_activity(request: HttpRequest) -> None:
    now = time.time()
    seen = request.session.get(_SEEN)
    if seen is None or now - seen >= activity_resolution():
        request.session[_SEEN] = now


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(_API_PATHS)


class ResponseHeadersMiddleware:
    """Cache-Control: no-store on every answer that sets no caching of its own (pages and
    API answers carry patient data; a shared workstation's browser or a proxy must not
    keep them), and the Permissions-Policy of PERMISSIONS_POLICY. Static files are served
    before this middleware, with their own long caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response:
            add_never_cache_headers(response)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class SignInForStaffPagesMiddleware:
    """A staff page refused to an anonymous visitor sends them to sign in; a signed-in one
    still gets 403. Views keep `permission_required(..., raise_exception=True)`, whose
    PermissionDenied reaches here. The API answers for itself (401 with a challenge)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, PermissionDenied) or _is_api(request):
            return None
        if request.user.is_authenticated:
            return None
        return to_sign_in(request)
