"""The signed token in a patient's remote-signing link. The signature is the key; the
consent request remembers its use, so a link works once, and expires after
CONSENT_SIGNING_LINK_DAYS."""

from django.conf import settings
from django.core import signing

_SALT = "consents.remote-signing"


class LinkInvalid(Exception):
    """Tampered or unknown token."""


class LinkExpired(Exception):
    pass


def signing_token(request_id: int) -> str:
    return signing.dumps({"r": request_id}, salt=_SALT, compress=True)


def signing_request_id(token: str) -> int:
    """The consent request a token is for. Raises LinkExpired or LinkInvalid."""
    max_age = settings.CONSENT_SIGNING_LINK_DAYS * 86400
    try:
        return int(signing.loads(token, salt=_SALT, max_age=max_age)["r"])
    except signing.SignatureExpired:
        raise LinkExpired from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid from None
