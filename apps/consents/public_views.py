"""The remote-signing page a patient opens from the e-mailed link. No sign-in: the signed,
expiring token is the key, and the consent request remembers its one use.

It shows the clinic, the patient's first name and the consent text. A patient reading
their own form is not staff reading a record, so nothing goes to the access log; the
change history keeps the signature like any other write.

Requests are counted in the cache per client address, before the token is read, and per
link once it is (CONSENT_SIGNING_REQUESTS_PER_HOUR each): nobody can try tokens, nor
hammer a leaked link from many addresses."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from apps.accounts.client_ip import client_ip
from apps.accounts.rate_limits import rate_limit_hit
from apps.clinic.selectors import clinic_profile
from apps.consents import rendering
from apps.consents.forms import SignatureForm
from apps.consents.services import (
    SigningUnavailable,
    consent_request_open,
    consent_sign_remotely,
    consent_text,
)
from apps.consents.tokens import LinkExpired, LinkInvalid, signing_request_id
from exotrack.forms import add_service_errors

# Why a link cannot be signed, and the HTTP status the page carries.
UNAVAILABLE_STATUS = {
    "expired": 410,
    "used": 410,
    "replaced": 410,
    "unknown": 404,
    "tampered": 404,
    "busy": 429,
}


def _over_rate_limit(key: str) -> bool:
    return rate_limit_hit(
        key=f"consent-signing:{key}", limit=settings.CONSENT_SIGNING_REQUESTS_PER_HOUR
    )


def _unavailable(request: HttpRequest, reason: str, context: dict[str, object]) -> HttpResponse:
    response = render(
        request,
        "consents/public/unavailable.html",
        {**context, "reason": reason},
        status=UNAVAILABLE_STATUS[reason],
    )
    if reason == "busy":
        response["Retry-After"] = "3600"  # the rate counters count by the hour
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def remote_sign(request: HttpRequest, token: str) -> HttpResponse:
    context: dict[str, object] = {"clinic": clinic_profile()}
    if _over_rate_limit(f"address:{client_ip(request)}"):
        return _unavailable(request, "busy", context)
    try:
        request_id = signing_request_id(token)
        if _over_rate_limit(f"link:{request_id}"):
            return _unavailable(request, "busy", context)
        consent_request = consent_request_open(request_id)
    except LinkExpired:
        return _unavailable(request, "expired", context)
    except LinkInvalid:
        return _unavailable(request, "tampered", context)
    except SigningUnavailable as closed:
        return _unavailable(request, closed.reason, context)
    patient = consent_request.patient
    form = SignatureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            consent = consent_sign_remotely(request_id=consent_request.pk, **form.cleaned_data)
        except SigningUnavailable as closed:  # signed in another tab a moment ago
            return _unavailable(request, closed.reason, context)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return render(
                request,
                "consents/public/signed.html",
                {**context, "first_name": patient.first_name, "title": consent.shown_title},
            )
    title, text = consent_text(
        version=consent_request.version,
        patient=patient,
        product=consent_request.product,
        on=timezone.localdate(),
    )
    context.update(
        first_name=patient.first_name,
        form=form,
        title=title,
        body_html=rendering.consent_html(text),
    )
    return render(
        request, "consents/public/sign.html", context, status=400 if form.is_bound else 200
    )
