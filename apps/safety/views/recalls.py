"""Recall on the lot page: withdraw the lot, see and export everyone who received it,
and put them on the follow-up worklist for a call."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.requests import StaffRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.inventory.confirmations import recall_confirmation
from apps.inventory.models import Lot
from apps.safety.confirmations import contact_confirmation
from apps.safety.forms.recalls import LotRecallForm
from apps.safety.permissions import CONTACT, RECALL, SEE_RECIPIENTS
from apps.safety.selectors.recalls import (
    lot_recipients,
    patients_read,
    patients_to_call,
    recipient_columns,
)
from apps.safety.services.recalls import lot_recall, lot_recipients_contact
from exotrack.confirm import confirm_page, is_confirmed
from exotrack.csv_export import csv_lines, csv_response

# CSV header per column of the recipient list.
CSV_HEADERS = {
    "id": "dose",
    "visit_id": "visit",
    "visit__visited_at": "visited_at",
    "visit__patient_id": "patient_id",
    "visit__patient__mrn": "mrn",
    "visit__patient__last_name": "last_name",
    "visit__patient__first_name": "first_name",
    "visit__patient__voided_at": "patient_record_voided_at",
    "visit__patient__email": "email",
    "visit__patient__phone": "phone",
    "site__name": "site",
    "laterality": "laterality",
    "billions": "billions",
    "route": "route",
}
# Shown in the clinic's time, as on its pages; the header names the zone.
CLINIC_TIMES = ("visit__visited_at", "visit__patient__voided_at")


def _to_lot(lot_pk: int) -> HttpResponse:
    return redirect("inventory:lot-detail", pk=lot_pk)


@require_POST
@permission_required(RECALL, raise_exception=True)
def lot_recall_view(request: StaffRequest, pk: int) -> HttpResponse:
    lot = get_object_or_404(Lot.objects.select_related("product"), pk=pk)
    form = LotRecallForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Lot not recalled: give the reason for the recall.")
        return _to_lot(lot.pk)
    if not is_confirmed(request):
        return confirm_page(request, recall_confirmation(lot, form))
    try:
        lot = lot_recall(by=request.user, lot=lot, reason=form.cleaned_data["reason"])
    except ValidationError as problem:
        messages.error(request, "Lot not recalled: " + " ".join(problem.messages))
    else:
        messages.success(request, f"Lot {lot.lot_number} is recalled: it can no longer be used.")
    return _to_lot(lot.pk)


@require_POST
@permission_required(CONTACT, raise_exception=True)
def lot_contact_recipients(request: StaffRequest, pk: int) -> HttpResponse:
    lot = get_object_or_404(Lot.objects.select_related("product"), pk=pk)
    # Asked only when the press would add calls; otherwise the service's answer says why not.
    if not is_confirmed(request) and lot.status != Lot.Status.AVAILABLE:
        to_call = patients_to_call(lot_id=lot.pk).count()
        if to_call:
            return confirm_page(request, contact_confirmation(lot, to_call))
    try:
        added = lot_recipients_contact(by=request.user, lot=lot)
    except ValidationError as problem:
        messages.error(request, "Nobody added: " + " ".join(problem.messages))
    else:
        if added:
            messages.success(
                request,
                f"{added} recall call{'s' if added != 1 else ''} added to the follow-up "
                "worklist, due today.",
            )
        else:
            messages.info(
                request, f"Everyone who received lot {lot.lot_number} is on the worklist already."
            )
    return _to_lot(lot.pk)


@require_GET
@permission_required(SEE_RECIPIENTS, raise_exception=True)
def lot_recipients_csv(request: StaffRequest, pk: int) -> StreamingHttpResponse:
    lot = get_object_or_404(Lot, pk=pk)
    columns = recipient_columns(request.user)
    access_log_record(
        user=request.user,
        action=AccessLog.Action.EXPORT,
        subject="export:lot-recipients",
        object_id=lot.pk,
        path=request.get_full_path(),
        detail={
            "lot_number": lot.lot_number,
            "columns": list(columns),
            "patients": patients_read(
                lot_recipients(lot_id=lot.pk, columns=("visit__patient_id",))
            ),
        },
    )
    zone = timezone.get_current_timezone_name()
    header = [
        f"{CSV_HEADERS[c]} ({zone})" if c in CLINIC_TIMES else CSV_HEADERS[c] for c in columns
    ]
    rows = (
        [_clinic_time(row[c]) if c in CLINIC_TIMES else row[c] for c in columns]
        for row in lot_recipients(lot_id=lot.pk, columns=columns).iterator(chunk_size=2000)
    )
    return csv_response(stem=f"lot-{lot.lot_number}-recipients", chunks=csv_lines(header, rows))


def _clinic_time(moment: datetime.datetime | None) -> str | None:
    # With its offset: the hour the clocks go back happens twice.
    return timezone.localtime(moment).isoformat(sep=" ", timespec="seconds") if moment else None
