"""The address a sign-in came from, for the lockout rule (account + computer).

Behind the TLS proxy every request arrives from the proxy's address, so one locked
account would be locked for the whole clinic. When TRUSTED_PROXY_COUNT proxies sit in
front, the client is the address the outermost of them saw; the header is never trusted
without that setting, since a client could write any address into it."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        # Each proxy appends the address it saw: the client is `proxies` from the end.
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
