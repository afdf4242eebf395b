"""What the confirm step of a visit void says: whose visit, what was given from which
lot, whether the vials go back to stock, and the reason."""

from django import forms
from django.urls import reverse
from django.utils import timezone

from apps.treatments.models import Dose, Laterality, Visit
from exotrack.confirm import Confirmation, posted_fields


def doses_given(visit: Visit) -> str:
    """One line per dose: site (side), billions, product and lot."""
    doses = visit.doses.all()
    return "\n".join(f"{_site(dose)}: {dose.billions} billion, {_lot(dose)}" for dose in doses)


def _site(dose: Dose) -> str:
    if dose.laterality == Laterality.NOT_APPLICABLE:
        return dose.site.name
    return f"{dose.site.name} ({dose.get_laterality_display().lower()})"


def _lot(dose: Dose) -> str:
    return f"{dose.lot.product.name} lot {dose.lot.lot_number}"


def visit_void_confirmation(visit: Visit, form: forms.Form, *, returns_stock: bool) -> Confirmation:
    stock = (
        "Its vials go back to stock (voided on the day of the visit, they count as unopened)."
        if returns_stock
        else "Its vials stay used: the visit was on an earlier day."
    )
    return Confirmation(
        title="Void this visit?",
        facts=[
            ("Patient", f"{visit.patient.full_name} ({visit.patient.mrn})"),
            ("Visit", f"{timezone.localtime(visit.visited_at):%Y-%m-%d %H:%M}"),
            ("Doses", doses_given(visit) or "None"),
            ("Reason", form.cleaned_data["reason"]),
        ],
        consequence=(
            "The visit stays on record marked as voided; it leaves the patient's history, "
            f"the reports and the lot's recipients, and cannot be restored. {stock}"
        ),
        action=reverse("treatments:visit-void", args=[visit.pk]),
        button="Void visit",
        cancel=reverse("treatments:visit-detail", args=[visit.pk]),
        data=posted_fields(form),
    )
