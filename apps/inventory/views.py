import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.requests import StaffRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_patients_read
from apps.inventory import selectors, services
from apps.inventory.confirmations import quarantine_confirmation
from apps.inventory.forms import (
    LotEditForm,
    LotReceiveForm,
    LotStatusForm,
    ManufacturerForm,
    ProductForm,
    ScanForm,
    StockChangeForm,
)
from apps.inventory.models import Lot, Manufacturer, Product, StockMovement
from apps.treatments.selectors import movement_patients
from exotrack.confirm import confirm_page, is_confirmed
from exotrack.forms import add_service_errors
from exotrack.paging import list_page
from exotrack.query_ids import id_from_query
from exotrack.sections import LOT_PAGE, LOT_PAGE_ACTIONS

PAGE_SIZE = 50
STATUS_FILTERS = [
    ("", "Any status"),
    *Lot.Status.choices,
    ("expired", "Expired"),
    ("depleted", "Depleted"),
]
EXPIRING_FILTERS = [("", "Any expiry"), ("30", "Within 30 days"), ("90", "Within 90 days")]


@permission_required("inventory.view_lot", raise_exception=True)
def lot_list(request: StaffRequest) -> HttpResponse:
    today = timezone.localdate()
    products = list(selectors.products())
    product = next((p for p in products if str(p.pk) == request.GET.get("product")), None)
    status = request.GET.get("status", "")
    if status not in dict(STATUS_FILTERS):
        status = ""
    expiring = request.GET.get("expiring", "")
    if expiring not in dict(EXPIRING_FILTERS):
        expiring = ""
    lots = selectors.lot_search(
        today=today,
        product=product,
        status=status,
        expiring_within_days=int(expiring) if expiring else None,
    )
    page = list_page(lots, PAGE_SIZE, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "inventory/lot_list.html",
        {
            "page": page,
            "today": today,
            "warn_before": today + datetime.timedelta(days=settings.INVENTORY_EXPIRY_WARNING_DAYS),
            "products": products,
            "product": product,
            "status": status,
            "status_filters": STATUS_FILTERS,
            "expiring": expiring,
            "expiring_filters": EXPIRING_FILTERS,
            "query": query.urlencode(),
        },
    )


def _ledger_read(request: StaffRequest, lot: Lot) -> QuerySet[StockMovement]:
    """The lot's stock ledger. A movement's reason names its visit's patient, so a
    ledger that shows visits is a read of those patients' records, access-logged."""
    ledger = selectors.lot_ledger(lot=lot)
    patients = movement_patients(movements=ledger)
    if patients:
        access_log_patients_read(
            user=request.user,
            action=AccessLog.Action.VIEW,
            subject="stock-movements",
            patients=patients,
            object_id=lot.pk,
            path=request.path,
            detail={"lot_number": lot.lot_number},
        )
    return ledger


@permission_required("inventory.view_lot", raise_exception=True)
def lot_detail(request: StaffRequest, pk: int) -> HttpResponse:
    try:
        lot = selectors.lot_with_dose_count(pk=pk)
    except Lot.DoesNotExist as missing:
        raise Http404("No such lot.") from missing
    context = {"lot": lot, "today": timezone.localdate()}
    if request.user.has_perm("inventory.view_stockmovement"):
        context["ledger"] = _ledger_read(request, lot)
    # A lot known from past records only never holds stock: nothing to waste or correct.
    if request.user.has_perm("inventory.add_stockmovement") and not lot.history_only:
        context["stock_form"] = StockChangeForm()
    if request.user.has_perm("inventory.change_lot") and lot.status != Lot.Status.RECALLED:
        context["status_form"] = LotStatusForm(
            initial={
                "status": Lot.Status.AVAILABLE
                if lot.status == Lot.Status.QUARANTINED
                else Lot.Status.QUARANTINED
            }
        )
    context["action_sections"] = LOT_PAGE_ACTIONS.shown(user=request.user, lot=lot, request=request)
    context["sections"] = LOT_PAGE.shown(user=request.user, lot=lot, request=request)
    return render(request, "inventory/lot_detail.html", context)


def _scan_into(form_data: QueryDict, barcode: str) -> tuple[QueryDict, str, str]:
    """Fill product, lot number and expiry from a scanned barcode, keeping whatever else
    was typed. Returns the new form data, a notice and an error (one of them empty)."""
    data = form_data.copy()
    try:
        vial = services.barcode_parse(barcode)
    except ValidationError as error:
        return data, "", " ".join(error.messages)
    data["product"] = str(vial.product.pk)
    data["lot_number"] = vial.lot_number
    if vial.expiry_date is not None:
        data["expiry_date"] = vial.expiry_date.isoformat()
    notice = f"Read {vial.product.name}, lot {vial.lot_number}"
    if vial.expiry_date is not None:
        notice += f", expires {vial.expiry_date:%Y-%m-%d}"
    if vial.lot is not None:
        notice += f". This lot was already received on {vial.lot.received_on:%Y-%m-%d}"
    return data, notice + ".", ""


@permission_required("inventory.add_lot", raise_exception=True)
def lot_receive(request: StaffRequest) -> HttpResponse:
    scan_form = ScanForm()
    notice = error = ""
    if request.method == "POST" and "barcode" in request.POST:
        # Reading a barcode fills the form; nothing is saved until "Receive lot".
        data, notice, error = _scan_into(request.POST, request.POST["barcode"])
        data.pop("barcode")
        form = LotReceiveForm(initial=data.dict())
        if error:
            scan_form = ScanForm(request.POST)
        context = {"form": form, "scan_form": scan_form, "notice": notice, "error": error}
        template = (
            "inventory/_receive_fields.html" if request.htmx else "inventory/lot_receive.html"
        )
        return render(request, template, context)
    form = LotReceiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lot = services.lot_receive(by=request.user, **form.cleaned_data)
        except ValidationError as problem:
            add_service_errors(form, problem)
        else:
            messages.success(
                request, f"Lot {lot.lot_number} received: {lot.vials_on_hand} vials in stock."
            )
            return redirect("inventory:lot-detail", pk=lot.pk)
    return render(request, "inventory/lot_receive.html", {"form": form, "scan_form": scan_form})


@permission_required("inventory.change_lot", raise_exception=True)
def lot_edit(request: StaffRequest, pk: int) -> HttpResponse:
    lot = get_object_or_404(Lot.objects.select_related("product"), pk=pk)
    form = LotEditForm(request.POST or None, instance=lot)
    if request.method == "POST" and form.is_valid():
        try:
            services.lot_update(by=request.user, lot=lot, **form.cleaned_data)
        except ValidationError as problem:
            add_service_errors(form, problem)
        else:
            messages.success(request, f"Lot {lot.lot_number} saved.")
            return redirect("inventory:lot-detail", pk=lot.pk)
    return render(request, "inventory/lot_edit.html", {"form": form, "lot": lot})


@require_POST
@permission_required("inventory.add_stockmovement", raise_exception=True)
def lot_stock_change(request: StaffRequest, pk: int) -> HttpResponse:
    lot = get_object_or_404(Lot, pk=pk)
    form = StockChangeForm(request.POST)
    if form.is_valid():
        change = (
            services.stock_waste if form.cleaned_data["kind"] == "wasted" else services.stock_adjust
        )
        try:
            change(
                by=request.user,
                lot=lot,
                vials=form.cleaned_data["vials"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as problem:
            add_service_errors(form, problem)
        else:
            messages.success(request, f"Stock of lot {lot.lot_number}: {lot.vials_on_hand} vials.")
            return redirect("inventory:lot-detail", pk=lot.pk)
    messages.error(request, "Stock not changed: " + _errors_text(form))
    return redirect("inventory:lot-detail", pk=lot.pk)


@require_POST
@permission_required("inventory.change_lot", raise_exception=True)
def lot_status(request: StaffRequest, pk: int) -> HttpResponse:
    lot = get_object_or_404(Lot.objects.select_related("product"), pk=pk)
    form = LotStatusForm(request.POST)
    if form.is_valid():
        quarantine = form.cleaned_data["status"] == Lot.Status.QUARANTINED
        if quarantine and lot.status != Lot.Status.QUARANTINED and not is_confirmed(request):
            return confirm_page(request, quarantine_confirmation(lot, form))
        try:
            lot = services.lot_status_set(by=request.user, lot=lot, **form.cleaned_data)
        except ValidationError as problem:
            add_service_errors(form, problem)
        else:
            messages.success(request, f"Lot {lot.lot_number} is now {lot.get_status_display()}.")
            return redirect("inventory:lot-detail", pk=lot.pk)
    messages.error(request, "Status not changed: " + _errors_text(form))
    return redirect("inventory:lot-detail", pk=lot.pk)


@permission_required("inventory.view_lot", raise_exception=True)
def lot_options(request: StaffRequest) -> HttpResponse:
    """Usable lots for a visit date as <option>s, soonest expiry first: the lot picker of
    the visit form asks for them when the date or product changes."""
    try:
        on = datetime.date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        on = timezone.localdate()
    lots = selectors.lots_usable_on(on=on, product=id_from_query(request.GET, "product"))
    return render(
        request,
        "inventory/_lot_options.html",
        {"lots": lots, "selected": request.GET.get("lot", "")},
    )


@permission_required("inventory.view_product", raise_exception=True)
def product_list(request: StaffRequest) -> HttpResponse:
    return render(
        request,
        "inventory/product_list.html",
        {
            "products": selectors.products_with_stock(today=timezone.localdate()),
            "manufacturers": selectors.manufacturers_with_product_count(),
        },
    )


@permission_required("inventory.add_product", raise_exception=True)
def product_add(request: StaffRequest) -> HttpResponse:
    return _product_form(request, product=None)


@permission_required("inventory.change_product", raise_exception=True)
def product_edit(request: StaffRequest, pk: int) -> HttpResponse:
    return _product_form(request, product=get_object_or_404(Product, pk=pk))


def _product_form(request: StaffRequest, *, product: Product | None) -> HttpResponse:
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        try:
            if product is None:
                saved = services.product_create(by=request.user, **form.cleaned_data)
            else:
                saved = services.product_update(
                    by=request.user, product=product, **form.cleaned_data
                )
        except ValidationError as problem:
            add_service_errors(form, problem)
        else:
            messages.success(request, f"{saved.name} saved.")
            return redirect("inventory:product-list")
    return render(request, "inventory/product_form.html", {"form": form, "product": product})


@permission_required("inventory.add_manufacturer", raise_exception=True)
def manufacturer_add(request: StaffRequest) -> HttpResponse:
    return _manufacturer_form(request, manufacturer=None)


@permission_required("inventory.change_manufacturer", raise_exception=True)
def manufacturer_edit(request: StaffRequest, pk: int) -> HttpResponse:
    return _manufacturer_form(request, manufacturer=get_object_or_404(Manufacturer, pk=pk))


def _manufacturer_form(request: StaffRequest, *, manufacturer: Manufacturer | None) -> HttpResponse:
    form = ManufacturerForm(request.POST or None, instance=manufacturer)
    if request.method == "POST" and form.is_valid():
        try:
            if manufacturer is None:
                saved = services.manufacturer_create(by=request.user, **form.cleaned_data)
            else:
                saved = services.manufacturer_update(
                    by=request.user, manufacturer=manufacturer, **form.cleaned_data
                )
        except ValidationError as problem:
            add_service_errors(form, problem)
        else:
            messages.success(request, f"{saved.name} saved.")
            return redirect("inventory:product-list")
    return render(
        request,
        "inventory/manufacturer_form.html",
        {"form": form, "manufacturer": manufacturer},
    )


def _errors_text(form) -> str:
    return "; ".join(
        f"{form.fields[name].label or name.capitalize()}: {message}"
        if name in form.fields
        else message
        for name, errors in form.errors.items()
        for message in errors
    )
