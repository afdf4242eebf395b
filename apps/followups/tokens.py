"""Signed tokens in patients' e-mail links. No login: the signature is the key.

Self-report links expire (FOLLOWUP_SELF_REPORT_LINK_DAYS) and are usable once (the
follow-up remembers self_report_used_at); unsubscribe links never expire, since a
patient may click one from an old e-mail and it must still work."""

from django.conf import settings
from django.core import signing

_SELF_REPORT_SALT = "followups.self-report"
_UNSUBSCRIBE_SALT = "followups.unsubscribe"


class LinkInvalid(Exception):
    """Tampered or unknown token."""


class LinkExpired(Exception):
    pass


def self_report_token(follow_up_id: int) -> str:
    return signing.dumps({"f": follow_up_id}, salt=_SELF_REPORT_SALT, compress=True)


def self_report_follow_up_id(token: str) -> int:
    """The follow-up a self-report token is for. Raises LinkExpired or LinkInvalid."""
    max_age = settings.FOLLOWUP_SELF_REPORT_LINK_DAYS * 86400
    try:
        return int(signing.loads(token, salt=_SELF_REPORT_SALT, max_age=max_age)["f"])
    except signing.SignatureExpired:
        raise LinkExpired from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid from None


def unsubscribe_token(patient_id: int) -> str:
    return signing.dumps({"p": patient_id}, salt=_UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_patient_id(token: str) -> int:
    try:
        return int(signing.loads(token, salt=_UNSUBSCRIBE_SALT)["p"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid from None
