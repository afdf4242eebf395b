"""What the confirm steps of safety's actions say: "Contact all recipients" names the
lot, the reason it is out of use and how many calls the press adds; a void names the
adverse event and the reason."""

from django import forms
from django.urls import reverse

from apps.inventory.confirmations import lot_facts, plural
from apps.inventory.models import Lot
from apps.safety.models import AdverseEvent
from exotrack.confirm import Confirmation, posted_fields


def contact_confirmation(lot: Lot, to_call: int) -> Confirmation:
    return Confirmation(
        title=f"Call everyone who received lot {lot.lot_number}?",
        facts=[
            *lot_facts(lot, reason=lot.status_reason),
            ("Calls to add", plural(to_call, "call")),
        ],
        consequence=(
            f"Adds {plural(to_call, 'recall call')} to the follow-up worklist, due today, "
            "one per patient not on it yet."
        ),
        action=reverse("safety:lot-contact-recipients", args=[lot.pk]),
        button=f"Add {plural(to_call, 'call')}",
        cancel=reverse("inventory:lot-detail", args=[lot.pk]),
    )


def adverse_event_void_confirmation(event: AdverseEvent, form: forms.Form) -> Confirmation:
    return Confirmation(
        title="Void this adverse event?",
        facts=[
            ("Patient", f"{event.patient.full_name} ({event.patient.mrn})"),
            ("Event", f"{event.event_type.name}, grade {event.grade}"),
            ("Onset", f"{event.onset_date:%Y-%m-%d}"),
            ("Reason", form.cleaned_data["reason"]),
        ],
        consequence=(
            "The event stays on record marked as voided; it leaves the safety signals, the "
            "reports and the patient's page, and cannot be restored."
        ),
        action=reverse("safety:adverse-event-void", args=[event.pk]),
        button="Void adverse event",
        cancel=reverse("safety:adverse-event-detail", args=[event.pk]),
        data=posted_fields(form),
    )
