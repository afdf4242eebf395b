"""Session lifetime: signed out after SESSION_IDLE_TIMEOUT idle, and after
SESSION_ABSOLUTE_TIMEOUT whatever the activity (a shared clinic workstation).

Must sit after the session, authentication and message middleware: it reads the
signed-in user and leaves the reason for the sign-in page as a message."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url

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


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            reason = self._expired(request)
            if reason:
                logout(request)
                if request.path.startswith(_API_PATHS):
                    # API clients get the normal 401/403 from DRF on the now-anonymous request.
                    return self.get_response(request)
                messages.info(request, reason)
                return self._to_sign_in(request)
            request.session[_SEEN] = time.time()
        return self.get_response(request)

    @staticmethod
    def _to_sign_in(request: HttpRequest) -> HttpResponse:
        if request.headers.get("HX-Request") == "true":
            # A partial swap would put the sign-in page inside the current page: ask htmx
            # to load the sign-in page as a whole instead.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
            return response
        return redirect_to_login(request.get_full_path())

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
