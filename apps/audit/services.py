"""Writes to the access log: every read of a patient record or export by staff."""

from collections.abc import Iterable
from typing import Any

from django.urls import reverse

from apps.accounts.models import User
from apps.audit.models import AccessLog


def _printable(value: Any) -> Any:
    # PostgreSQL text and jsonb cannot hold NUL characters, which a search box can be sent.
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    return value


def access_log_record(
    *,
    user: User,
    action: str,
    subject: str,
    patient_id: int | None = None,
    object_id: int | None = None,
    path: str = "",
    detail: dict[str, Any] | None = None,
) -> AccessLog:
    """Note that `user` read `subject` (e.g. "patient", "visit", "export:outcomes").

    `action` is one of AccessLog.Action. The entry is appended, never changed: the log is
    evidence of who looked at which record, so it is kept even when the read fails later.
    """
    if action not in AccessLog.Action.values:
        raise ValueError(f"Unknown access-log action: {action!r}")
    return AccessLog.objects.create(
        user=user,
        action=action,
        subject=_printable(subject)[:60],
        patient_id=patient_id,
        object_id=object_id,
        path=_printable(path)[:500],
        detail=_printable(detail or {}),
    )


def access_log_patients_read(
    *,
    user: User,
    action: str,
    subject: str,
    patients: Iterable[int],
    object_id: int | None = None,
    path: str = "",
    detail: dict[str, Any] | None = None,
) -> AccessLog:
    """Note a read that shows several patients at once (a lot's recipients, a dashboard
    panel, a page of the stock ledger): one entry, naming each patient once in
    detail["patients"], where a look-up of one patient's reads finds it."""
    return access_log_record(
        user=user,
        action=action,
        subject=subject,
        object_id=object_id,
        path=path,
        detail={**(detail or {}), "patients": sorted(set(patients))},
    )


def access_log_panel_read(*, user: User, panel: str, patients: Iterable[int]) -> None:
    """A dashboard panel that names patients (serious events, flags to review) is a read
    of their records: one entry per panel shown, naming them. A panel of counts, or one
    with nobody in it today, has read no one's record and leaves no entry."""
    named = set(patients)
    if named:
        access_log_patients_read(
            user=user,
            action=AccessLog.Action.VIEW,
            subject=f"dashboard:{panel}",
            patients=named,
            path=reverse("dashboard"),
        )
