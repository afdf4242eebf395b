"""Signed tokens in patients' e-mail links. No login: the signature is the key.

Self-report links expire (FOLLOWUP_SELF_REPORT_LINK_DAYS) and are usable once (the
follow-up remembers self_report_used_at). Unsubscribe links work for a long while
(FOLLOWUP_UNSUBSCRIBE_LINK_DAYS: a patient may click one from an old e-mail), but only for
the consent they were sent under: they carry its version, the time consent was given, so
a consent given again later (recorded by staff) is not withdrawn by an earlier e-mail."""

import datetime
from typing import NamedTuple

from django.conf import settings
from django.core import signing

from apps.patients.models import Patient

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


class UnsubscribeLink(NamedTuple):
    patient_id: int
    consent_version: str


def consent_version(given_at: datetime.datetime | None) -> str:
    """The version of a patient's e-mail consent: when it was given ('' if never)."""
    return given_at.isoformat() if given_at else ""


def unsubscribe_token(patient: Patient) -> str:
    return signing.dumps(
        {"p": patient.pk, "c": consent_version(patient.email_consent_given_at)},
        salt=_UNSUBSCRIBE_SALT,
        compress=True,
    )


def unsubscribe_link(token: str) -> UnsubscribeLink:
    """Whose unsubscribe link this is, under which consent. Raises LinkExpired or
    LinkInvalid."""
    max_age = settings.FOLLOWUP_UNSUBSCRIBE_LINK_DAYS * 86400
    try:
        payload = signing.loads(token, salt=_UNSUBSCRIBE_SALT, max_age=max_age)
        return UnsubscribeLink(patient_id=int(payload["p"]), consent_version=str(payload["c"]))
    except signing.SignatureExpired:
        raise LinkExpired from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid from None
