"""Session lifetime: signed out after SESSION_IDLE_TIMEOUT idle, and after
SESSION_ABSOLUTE_TIMEOUT whatever the activity (a shared clinic workstation)."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

_STARTED = "session_started_at"
_SEEN = "session_last_seen_at"


def mark_session_start(request: HttpRequest) -> None:
    now = time.time()
    request.session[_STARTED] = now
    request.session[_SEEN] = now


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            reason = self._expired(request)
            if reason:
                logout(request)
                if request.path.startswith("/api/"):
                    # API clients get the normal 401/403 from DRF on the now-anonymous request.
                    return self.get_response(request)
                messages.info(request, reason)
                return redirect_to_login(request.get_full_path())
            request.session[_SEEN] = time.time()
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
            minutes = round(settings.SESSION_IDLE_TIMEOUT / 60)
            return f"You were signed out after {minutes} minutes without activity."
        if now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
            return "Your session reached its maximum length. Please sign in again."
        return None
