"""Passkeys and security keys (WebAuthn, through django-otp-webauthn) as a second factor.

The relying party is the host the browser is on, and its address an expected origin
besides SITE_URL: Django has already checked that host against ALLOWED_HOSTS, so one
setting serves the clinic's own name, `make run` on 127.0.0.1 and the test server."""

from django.conf import settings
from django.http import HttpRequest
from django_otp_webauthn.helpers import WebAuthnHelper


def relying_party_id(request: HttpRequest) -> str:
    host = request.get_host()
    # The domain without its port (a bracketed IPv6 host keeps its colons).
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class ClinicPasskeyHelper(WebAuthnHelper):
    def get_allowed_origins(self) -> list[str]:
        here = f"{self.request.scheme}://{self.request.get_host()}"
        return list(dict.fromkeys([*settings.OTP_WEBAUTHN_ALLOWED_ORIGINS, here]))
