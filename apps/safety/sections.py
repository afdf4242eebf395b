"""What the safety app shows on other apps' pages: the dashboard's serious-event and
medication-flag panels, the patient page's flags and adverse events, and the lot page's
recall card and recipient list. Registered from SafetyConfig.ready()."""

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils import timezone

from apps.audit.models import AccessLog
from apps.audit.services import access_log_panel_read, access_log_record
from apps.inventory.models import Lot
from apps.inventory.selectors import lot_reach
from apps.patients.models import Patient
from apps.safety.forms.medication_flags import FlagRaiseForm, FlagResolveForm
from apps.safety.forms.recalls import LotRecallForm
from apps.safety.permissions import CONTACT, RECALL, SEE_RECIPIENTS
from apps.safety.selectors.adverse_events import patient_adverse_events, serious_events_panel
from apps.safety.selectors.medication_flags import flags_panel, patient_flags
from apps.safety.selectors.recalls import (
    lot_recall_calls,
    lot_recipients,
    lots_out_of_use,
    patients_read,
    recipient_columns,
)
from apps.safety.views.medication_flags import flaggable_medications
from exotrack.dashboard import DASHBOARD
from exotrack.sections import LOT_PAGE, LOT_PAGE_ACTIONS, PATIENT_PAGE, Section

RECIPIENTS_PAGE_SIZE = 50
# A flag names a medication: clinical information (the rule of may_see_flags).
SEE_FLAGS = ("safety.view_medicationflag", "patients.view_clinical")


def patient_flags_section(*, user, patient: Patient) -> dict:
    context = {
        "medication_flags": list(patient_flags(patient=patient)),
        "today": timezone.localdate(),
        "resolve_form": FlagResolveForm(),
    }
    if user.has_perm("safety.add_medicationflag") and not patient.is_voided:
        context["flag_raise_form"] = FlagRaiseForm(
            medications=flaggable_medications(patient).filter(stopped_on__isnull=True)
        )
    return context


def patient_adverse_events_section(*, user, patient: Patient) -> dict:
    return {"adverse_events": patient_adverse_events(patient=patient)}


def lot_recall_section(*, user, lot: Lot, request: HttpRequest) -> dict:
    """The recall form while the lot can still be recalled, and the button that puts its
    recipients on the worklist once it is out of use."""
    context: dict = {
        "may_contact_recipients": user.has_perms(CONTACT) and lot.status != Lot.Status.AVAILABLE
    }
    if user.has_perms(RECALL) and lot.status != Lot.Status.RECALLED:
        context["recall_form"] = LotRecallForm()
    return context


def _log_lot_read(
    user, lot: Lot, request: HttpRequest, *, subject: str, patients: list[int], **detail
) -> None:
    """A lot card that names patients is a read of their records: one access-log entry
    with the lot and the patients shown."""
    access_log_record(
        user=user,
        action=AccessLog.Action.VIEW,
        subject=subject,
        object_id=lot.pk,
        path=request.get_full_path(),
        detail={"lot_number": lot.lot_number, **detail, "patients": patients},
    )


def lot_recipients_section(*, user, lot: Lot, request: HttpRequest) -> dict:
    """One page of the lot's recipients. Reading the list is a read of patient records,
    so it is access-logged."""
    columns = recipient_columns(user)
    rows = lot_recipients(lot_id=lot.pk, columns=columns)
    # Doses and distinct patients in one pass over the lot's doses; the pager takes that
    # count instead of counting again (a busy lot has thousands of doses).
    totals = lot_reach(lot_id=lot.pk)
    paginator = Paginator(rows, RECIPIENTS_PAGE_SIZE)
    paginator.count = totals["doses"]
    page = paginator.get_page(request.GET.get("recipients_page"))
    _log_lot_read(
        user, lot, request, subject="lot-recipients", patients=patients_read(page), page=page.number
    )
    return {
        "recipients": page,
        "recipient_patients": totals["patients"],
        "recipient_contact": "visit__patient__email" in columns,
        "recipient_clinical": "billions" in columns,
    }


def lot_recall_calls_section(*, user, lot: Lot, request: HttpRequest) -> dict:
    """The lot's recall calls and where each stands, for whoever made them. The list
    names patients, so reading it is access-logged like the recipient list."""
    calls = lot_recall_calls(lot_id=lot.pk)
    if calls["calls"]:
        patients = sorted({call.patient_id for call in calls["calls"]})
        _log_lot_read(user, lot, request, subject="lot-recall-calls", patients=patients)
    return {"recall_calls": calls}


def lots_out_of_use_panel(*, user) -> dict:
    """Lots and their call counts, no patient named: one query."""
    return {"lots": list(lots_out_of_use())}


def serious_events_dashboard(*, user) -> dict:
    """The serious-events panel. It names each event's patient: its read is logged."""
    panel = serious_events_panel(user=user)
    patients = (event.patient_id for event in panel["serious_events"])
    access_log_panel_read(user=user, panel="serious-events", patients=patients)
    return panel


def flags_dashboard(*, user) -> dict:
    """The flags to review. Each names its patient and medication: its read is logged."""
    panel = flags_panel(user=user)
    patients = (flag.patient_id for flag in panel["flags"])
    access_log_panel_read(user=user, panel="medication-flags", patients=patients)
    return panel


def register() -> None:
    DASHBOARD.register(
        Section(
            key="lots-out-of-use",
            title="Lots in quarantine or recalled",
            permissions=tuple(RECALL),
            template="safety/recalls/_dashboard_lots_out_of_use.html",
            load=lots_out_of_use_panel,
            order=12,  # beside the stock to watch
        )
    )
    DASHBOARD.register(
        Section(
            key="serious-events",
            title="Serious adverse events",
            permissions=("safety.change_adverseevent",),
            template="safety/_dashboard_serious.html",
            load=serious_events_dashboard,
            order=20,
        )
    )
    DASHBOARD.register(
        Section(
            key="medication-flags",
            title="Medication flags to review",
            permissions=("safety.view_medicationflag",),
            template="safety/medication_flags/_dashboard_flags.html",
            load=flags_dashboard,
            order=30,
        )
    )
    PATIENT_PAGE.register(
        Section(
            key="medication-flags",
            permissions=SEE_FLAGS,
            template="safety/medication_flags/_patient_flags.html",
            load=patient_flags_section,
            order=20,
        )
    )
    PATIENT_PAGE.register(
        Section(
            key="adverse-events",
            title="Adverse events",
            permissions=("safety.view_adverseevent",),
            template="safety/adverse_events/_patient_events.html",
            load=patient_adverse_events_section,
            order=50,
        )
    )
    LOT_PAGE_ACTIONS.register(
        Section(
            key="recall",
            template="safety/recalls/_lot_recall.html",
            load=lot_recall_section,
            order=10,
        )
    )
    LOT_PAGE.register(
        Section(
            key="recipients",
            permissions=tuple(SEE_RECIPIENTS),
            template="safety/recalls/_lot_recipients.html",
            load=lot_recipients_section,
            order=10,
        )
    )
    LOT_PAGE.register(
        Section(
            key="recall-calls",
            permissions=(*SEE_RECIPIENTS, "followups.view_followup"),
            template="safety/recalls/_lot_recall_calls.html",
            load=lot_recall_calls_section,
            order=5,
        )
    )
