"""Voiding: how a clinical record entered by mistake is taken out of use.

Nothing is deleted. The row is marked with when, by whom and why (the fields of
`exotrack.models.Voidable`), under the actor's history context, so the record and its
correction both stay on file. Every voidable record goes through `void_record`, so the
permission check, the error codes and the history are the same for all of them; a
service adds only what voiding its own record also does (stock going back, a
self-report returning to the worklist)."""

from typing import TypeVar

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from exotrack.history import recorded_by
from exotrack.models import Recorded, Voidable

VoidableRecord = TypeVar("VoidableRecord", bound=Voidable)


def void_record(
    *,
    record: VoidableRecord,
    by: AbstractUser,
    reason: str,
    permission: str,
    noun: str,
    refused: str,
) -> VoidableRecord:
    """Void `record` (a `noun` to the user: "visit", "patient") and return it, freshly
    locked and saved. Raises PermissionDenied with `refused` unless `by` holds
    `permission`, and ValidationError on `reason`: code `required` when none is given,
    `already_voided` when someone voided the record first. A caller with side effects
    runs them inside its own transaction around this call, so all of it stands or falls
    together."""
    if not by.has_perm(permission):
        raise PermissionDenied(refused)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(f"Say why the {noun} is voided.", code="required")}
        )
    with transaction.atomic(), recorded_by(by):
        # Locked, so two people voiding at once cannot both pass the check below.
        locked = type(record)._default_manager.select_for_update().get(pk=record.pk)
        if locked.is_voided:
            raise ValidationError(
                {
                    "reason": ValidationError(
                        f"This {noun} is already voided.", code="already_voided"
                    )
                }
            )
        locked.voided_at = timezone.now()
        # The field is typed as the clinic's user model, which exotrack does not import.
        locked.voided_by = by  # type: ignore[assignment]
        locked.void_reason = reason
        changed = ["voided_at", "voided_by", "void_reason"]
        if isinstance(locked, Recorded):
            changed.append("updated_at")
        locked.save(update_fields=changed)
    return locked
