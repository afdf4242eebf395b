"""Quarantine and recall of a lot, and the recall calls to everyone who received it
(DOMAIN.md "Traceability")."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.followups.models import FollowUp, Kind
from apps.followups.services.scheduling import follow_up_calls_add
from apps.inventory.models import Lot
from apps.inventory.services import lot_status_set
from apps.safety.selectors.recalls import patients_to_call
from exotrack.history import recorded_by


def lot_quarantine(*, by: User, lot: Lot, reason: str) -> Lot:
    """Hold a lot while a question about it is answered: it cannot be used meanwhile."""
    return lot_status_set(by=by, lot=lot, status=Lot.Status.QUARANTINED, reason=reason)


def lot_recall(*, by: User, lot: Lot, reason: str) -> Lot:
    """Withdraw a lot for good (from available or quarantined): it can never be used
    again, and its recipients can be contacted."""
    return lot_status_set(by=by, lot=lot, status=Lot.Status.RECALLED, reason=reason)


def lot_recipients_contact(*, by: User, lot: Lot) -> int:
    """One recall call per patient who received the lot (voided visits and voided
    patient records left out), due today on the follow-up worklist. Returns how many
    were added: pressing again adds only patients not yet on the list.

    The lot row is locked first, so two presses at once run one after the other; the
    unique (patient, lot) constraint on recall contacts is the backstop: the calls go in
    as one multi-row insert that skips a patient already on the list."""
    # One history context for the whole press: the calls read as one action by one person.
    with transaction.atomic(), recorded_by(by):
        locked = (
            Lot.objects.select_for_update(of=("self",)).select_related("product").get(pk=lot.pk)
        )
        if locked.status == Lot.Status.AVAILABLE:
            raise ValidationError(
                {"lot": f"Lot {locked.lot_number} is available: quarantine or recall it first."}
            )
        patients = patients_to_call(lot_id=locked.pk)
        today = timezone.localdate()
        note = (
            f"Lot {locked.lot_number} of {locked.product.name} is "
            f"{locked.get_status_display().lower()}: {locked.status_reason}"
        )
        recall_calls = FollowUp.objects.filter(kind=Kind.RECALL_CONTACT, lot=locked)
        before = recall_calls.count()
        follow_up_calls_add(
            by=by,
            patient_ids=list(patients.order_by("pk").values_list("pk", flat=True)),
            kind=Kind.RECALL_CONTACT,
            due_on=today,
            lot=locked,
            note=note,
        )
        return recall_calls.count() - before
