from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_safe

from exotrack.dashboard import dashboard_panels


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "exotrack/dashboard.html", {"panels": dashboard_panels(request.user)})


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (the API browser, admin)."""
    return HttpResponsePermanentRedirect(static("exotrack/favicon.svg"))
