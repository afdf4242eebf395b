"""Writes to the access log: every read of a patient record or export by staff."""

from typing import Any

from apps.audit.models import AccessLog


def access_log_record(
    *,
    user,
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
        subject=subject[:60],
        patient_id=patient_id,
        object_id=object_id,
        path=path[:500],
        detail=detail or {},
    )
