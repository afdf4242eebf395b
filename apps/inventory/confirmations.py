"""What the confirm step of a recall or a quarantine says: the lot, its product, the
doses given and patients reached, and the reason."""

from django import forms
from django.urls import reverse

from apps.inventory.models import Lot
from apps.inventory.selectors import lot_reach
from exotrack.confirm import Confirmation, posted_fields


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def lot_facts(lot: Lot, *, reason: str = "") -> list[tuple[str, str]]:
    reach = lot_reach(lot_id=lot.pk)
    facts = [
        ("Lot", lot.lot_number),
        ("Product", f"{lot.product.name}"),
        ("Expires", f"{lot.expiry_date:%Y-%m-%d}"),
        ("Vials on hand", str(lot.vials_on_hand)),
        ("Given", f"{plural(reach['doses'], 'dose')} to {plural(reach['patients'], 'patient')}"),
    ]
    if reason:
        facts.append(("Reason", reason))
    return facts


def _lot_status_confirmation(
    lot: Lot, form: forms.Form, *, verb: str, consequence: str, action: str
) -> Confirmation:
    return Confirmation(
        title=f"{verb} lot {lot.lot_number}?",
        facts=lot_facts(lot, reason=form.cleaned_data["reason"]),
        consequence=consequence,
        action=action,
        button=f"{verb} lot {lot.lot_number}",
        cancel=reverse("inventory:lot-detail", args=[lot.pk]),
        data=posted_fields(form),
    )


def recall_confirmation(lot: Lot, form: forms.Form) -> Confirmation:
    return _lot_status_confirmation(
        lot,
        form,
        verb="Recall",
        consequence=(
            "A recalled lot can never be used again, and the recall cannot be undone. "
            "Its recipients can then be called from this lot's page."
        ),
        action=reverse("safety:lot-recall", args=[lot.pk]),
    )


def quarantine_confirmation(lot: Lot, form: forms.Form) -> Confirmation:
    return _lot_status_confirmation(
        lot,
        form,
        verb="Quarantine",
        consequence=(
            "While quarantined the lot cannot be chosen at a visit; a manager can release "
            "it again or recall it."
        ),
        action=reverse("inventory:lot-status", args=[lot.pk]),
    )
