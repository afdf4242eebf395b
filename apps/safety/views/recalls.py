"""Recall on the lot page: withdraw the lot, see and export everyone who received it,
and put them on the follow-up worklist for a call."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.inventory.models import Lot
from apps.safety.forms.recalls import LotRecallForm
from apps.safety.permissions import CONTACT, RECALL, SEE_RECIPIENTS
from apps.safety.selectors.recalls import lot_recipients, recipient_columns
from apps.safety.services.recalls import lot_recall, lot_recipients_contact
from exotrack.csv_export import csv_lines, csv_response

PAGE_SIZE = 50

# CSV header per column of the recipient list.
CSV_HEADERS = {
    "id": "dose",
    "visit_id": "visit",
    "visit__visited_at": "visited_at_utc",
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


def may_see_recipients(user) -> bool:
    return user.has_perms(SEE_RECIPIENTS)


def lot_recall_context(request: HttpRequest, lot: Lot) -> dict:
    """The lot page's recall card and recipient list, for who may see them. Reading the
    list is a read of patient records, so it is access-logged."""
    user = request.user
    context: dict = {}
    if user.has_perms(RECALL) and lot.status != Lot.Status.RECALLED:
        context["recall_form"] = LotRecallForm()
    context["may_contact_recipients"] = (
        user.has_perms(CONTACT) and lot.status != Lot.Status.AVAILABLE
    )
    if not may_see_recipients(user):
        return context
    columns = recipient_columns(user)
    rows = lot_recipients(lot_id=lot.pk, columns=columns)
    # Doses and distinct patients in one pass over the lot's doses; the pager takes that
    # count instead of counting again (a busy lot has thousands of doses).
    totals = rows.order_by().aggregate(
        doses=Count("id"), patients=Count("visit__patient_id", distinct=True)
    )
    paginator = Paginator(rows, PAGE_SIZE)
    paginator.count = totals["doses"]
    page = paginator.get_page(request.GET.get("recipients_page"))
    context["recipients"] = page
    context["recipient_patients"] = totals["patients"]
    context["recipient_contact"] = "visit__patient__email" in columns
    context["recipient_clinical"] = "billions" in columns
    access_log_record(
        user=user,
        action=AccessLog.Action.VIEW,
        subject="lot-recipients",
        object_id=lot.pk,
        path=request.get_full_path(),
        detail={"lot_number": lot.lot_number, "page": page.number},
    )
    return context


def _to_lot(lot_pk: int) -> HttpResponse:
    return redirect("inventory:lot-detail", pk=lot_pk)


@require_POST
@permission_required(RECALL, raise_exception=True)
def lot_recall_view(request: HttpRequest, pk: int) -> HttpResponse:
    lot = get_object_or_404(Lot, pk=pk)
    form = LotRecallForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Lot not recalled: give the reason for the recall.")
        return _to_lot(lot.pk)
    try:
        lot = lot_recall(by=request.user, lot=lot, reason=form.cleaned_data["reason"])
    except ValidationError as problem:
        messages.error(request, "Lot not recalled: " + " ".join(problem.messages))
    else:
        messages.success(request, f"Lot {lot.lot_number} is recalled: it can no longer be used.")
    return _to_lot(lot.pk)


@require_POST
@permission_required(CONTACT, raise_exception=True)
def lot_contact_recipients(request: HttpRequest, pk: int) -> HttpResponse:
    lot = get_object_or_404(Lot, pk=pk)
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
def lot_recipients_csv(request: HttpRequest, pk: int) -> HttpResponse:
    lot = get_object_or_404(Lot, pk=pk)
    columns = recipient_columns(request.user)
    access_log_record(
        user=request.user,
        action=AccessLog.Action.EXPORT,
        subject="export:lot-recipients",
        object_id=lot.pk,
        path=request.get_full_path(),
        detail={"lot_number": lot.lot_number, "columns": list(columns)},
    )
    rows = (
        [row[c] for c in columns]
        for row in lot_recipients(lot_id=lot.pk, columns=columns).iterator(chunk_size=2000)
    )
    return csv_response(
        stem=f"lot-{lot.lot_number}-recipients",
        chunks=csv_lines([CSV_HEADERS[c] for c in columns], rows),
    )
