"""The unsubscribe link in patients' reminder e-mails. No login: the signed token is
the key. Opening the link (GET) only shows a page with a button, because mail
providers' link scanners open every link in a message; the button's POST withdraws.
Mail programs that offer a one-click unsubscribe (RFC 8058) POST to the same address
without a CSRF token, so the POST needs none: the signed token is what it trusts."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from apps.clinic.selectors import clinic_profile
from apps.followups.services.reminders import reminders_unsubscribe, reminders_unsubscribe_pending
from apps.followups.tokens import LinkExpired, LinkInvalid
from apps.patients.models import Patient


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    # The pages name only the clinic: whoever holds the link learns nothing about the
    # patient from it.
    context = {"clinic": clinic_profile()}
    try:
        if request.method == "POST":
            reminders_unsubscribe(token=token)
            return render(request, "followups/public/unsubscribe.html", context)
        if reminders_unsubscribe_pending(token=token):
            return render(request, "followups/public/unsubscribe_confirm.html", context)
        return render(request, "followups/public/unsubscribe.html", context)
    except LinkInvalid:
        return render(request, "followups/public/unsubscribe_invalid.html", context, status=400)
    except LinkExpired:
        return render(request, "followups/public/unsubscribe_expired.html", context, status=410)
    except Patient.DoesNotExist:
        return render(request, "followups/public/unsubscribe_invalid.html", context, status=404)
