import datetime

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.requests import StaffRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.clinic.models import Location
from apps.injection_maps.diagrams import DIAGRAMS, diagram_for_site
from apps.injection_maps.services import new_visit_points_check, new_visit_points_record
from apps.inventory.models import Lot
from apps.inventory.selectors import lots_usable_on
from apps.inventory.services import barcode_parse
from apps.patients.selectors import patients_visible_to
from apps.treatments import selectors, services
from apps.treatments.confirmations import visit_void_confirmation
from apps.treatments.forms import (
    DoseForm,
    DoseFormSet,
    TreatmentSiteForm,
    VisitFilterForm,
    VisitForm,
    VisitVoidForm,
)
from apps.treatments.models import TreatmentSite, Visit, VisitWarning
from exotrack.confirm import confirm_page, is_confirmed
from exotrack.forms import add_service_errors
from exotrack.paging import list_page
from exotrack.query_ids import id_from_query
from exotrack.roles import CLINICIAN

PAGE_SIZE = 50
DOSE_PREFIX = "doses"


def _lot_choices(*, on: datetime.date) -> list[tuple[int, str]]:
    # First expiry first: the lot to use comes first.
    return [
        (
            lot.pk,
            f"{lot.product.name} lot {lot.lot_number} · expires {lot.expiry_date:%Y-%m-%d} · "
            f"{lot.vials_on_hand} vial{'s' if lot.vials_on_hand != 1 else ''} · "
            f"{lot.labelled_billions_per_vial} bn/vial",
        )
        for lot in lots_usable_on(on=on)
    ]


def _visit_day(data) -> datetime.date:
    """The clinic day the form's visit falls on (today until a valid time is typed)."""
    raw = (data or {}).get("visited_at", "")
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"):
        try:
            return datetime.datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - local wall time
        except ValueError:
            continue
    return timezone.localdate()


def _dose_form_kwargs(*, on: datetime.date) -> dict:
    sites = {site.pk: site for site in selectors.treatment_sites(active_only=True)}
    return {"sites": sites, "lot_choices": _lot_choices(on=on)}


@permission_required("treatments.add_visit", raise_exception=True)
def visit_add(request: StaffRequest) -> HttpResponse:
    patient_id = id_from_query(request.GET, "patient")
    if patient_id is None:
        raise Http404("Open the patient first, then record the visit.")
    patient = get_object_or_404(patients_visible_to(request.user), pk=patient_id)
    # The form shows the patient: a read of their record.
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="visit-form",
        patient_id=patient.pk,
        path=request.get_full_path(),
    )
    data = request.POST if request.method == "POST" else None
    clinicians = selectors.clinicians()
    initial = {}
    if request.user.groups.filter(name=CLINICIAN).exists():
        initial["clinician"] = request.user.pk
    form = VisitForm(
        data,
        initial=initial,
        locations=Location.objects.filter(active=True),
        clinicians=clinicians,
    )
    formset = DoseFormSet(
        data, prefix=DOSE_PREFIX, form_kwargs=_dose_form_kwargs(on=_visit_day(data))
    )
    pending: list[services.PendingWarning] = []
    may_acknowledge = request.user.has_perm(services.ACKNOWLEDGE_PERMISSION)
    if data is not None and form.is_valid() and formset.is_valid():
        acknowledgements = {code: data.get(f"ack-{code}", "") for code in VisitWarning.Code.values}
        # Rows left blank are skipped; the service numbers the doses it was given.
        dose_forms = [f for f in formset.forms if f.has_changed()]
        doses = [f.dose_input() for f in dose_forms]
        points = [f.cleaned_data["injection_points"] for f in dose_forms]
        try:
            new_visit_points_check(sites=[d.site for d in doses], points=points)
            # The visit and its injection maps stand or fall together.
            with transaction.atomic():
                visit = services.visit_record(
                    by=request.user,
                    patient=patient,
                    doses=doses,
                    acknowledgements=acknowledgements,
                    save_for_sign_off=data.get("save_for_sign_off") == "yes",
                    **form.cleaned_data,
                )
                new_visit_points_record(visit=visit, points=points, by=request.user)
        except services.WarningsNeedAcknowledgement as warnings:
            pending = warnings.warnings
        except ValidationError as error:
            add_service_errors(form, error, nested={"doses": dose_forms})
        else:
            messages.success(request, _recorded_message(visit))
            return redirect("treatments:visit-detail", pk=visit.pk)
    return render(
        request,
        "treatments/visit_form.html",
        {
            "patient": patient,
            "form": form,
            "formset": formset,
            "pending": [_pending_row(w, data, may_acknowledge=may_acknowledge) for w in pending],
            "may_acknowledge": may_acknowledge,
            "site_routes": {
                pk: site.default_route for pk, site in formset.form_kwargs["sites"].items()
            },
            # Each site's diagram, drawn in the row when its site is chosen.
            "diagrams": list(DIAGRAMS.values()),
            "site_diagrams": {
                pk: diagram_for_site(site).key for pk, site in formset.form_kwargs["sites"].items()
            },
        },
    )


@require_POST
@permission_required("treatments.add_visit", raise_exception=True)
def vial_scan(request: StaffRequest) -> HttpResponse:
    """Read a scanned vial into one dose row: its lot, and the site's usual route. Returns
    the row alone (htmx swaps it in). Nothing is saved."""
    prefix = request.POST.get("prefix", "")
    row = prefix.removeprefix(f"{DOSE_PREFIX}-")
    if row == prefix or not (row.isascii() and row.isdigit()):
        raise Http404("No such dose row.")
    on = _visit_day(request.POST)
    kwargs = _dose_form_kwargs(on=on)
    data = request.POST.copy()
    raw = data.get(f"{prefix}-scan", "")
    data[f"{prefix}-scan"] = ""
    notice = error = ""
    try:
        vial = barcode_parse(raw)
    except ValidationError as problem:
        error = " ".join(problem.messages)
    else:
        if vial.lot is None:
            error = (
                f"Lot {vial.lot_number} of {vial.product.name} has not been received: "
                "receive it before it is used."
            )
        else:
            lot = Lot.objects.get(pk=vial.lot.pk)
            refusal = lot.unusable_reason(on)
            if refusal is not None:
                error = str(refusal.message)
            else:
                data[f"{prefix}-lot"] = str(lot.pk)
                notice = f"{vial.product.name} lot {vial.lot_number} chosen."
                site = kwargs["sites"].get(int(data.get(f"{prefix}-site") or 0))
                if site is not None and not data.get(f"{prefix}-route"):
                    data[f"{prefix}-route"] = site.default_route
    dose_form = DoseForm(data, prefix=prefix, **kwargs)
    return render(
        request,
        "treatments/_dose_row.html",
        {"dose_form": dose_form, "scan_notice": notice, "scan_error": error},
    )


@permission_required("treatments.add_visit", raise_exception=True)
def lot_options(request: StaffRequest) -> HttpResponse:
    """The lot picker's options for another visit day: lots usable that day, first
    expiry first."""
    try:
        on = datetime.date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        on = timezone.localdate()
    return render(request, "treatments/_lot_options.html", {"lot_choices": _lot_choices(on=on)})


@permission_required("treatments.view_visit", raise_exception=True)
def visit_list(request: StaffRequest) -> HttpResponse:
    filters = VisitFilterForm(
        request.GET or None, locations=Location.objects.all(), clinicians=selectors.clinicians()
    )
    wanted = filters.cleaned_data if filters.is_valid() else {}
    visits = selectors.visit_search(
        user=request.user,
        date_from=wanted.get("date_from"),
        date_to=wanted.get("date_to"),
        clinician_id=getattr(wanted.get("clinician"), "pk", None),
        location_id=getattr(wanted.get("location"), "pk", None),
    )
    page = list_page(visits, PAGE_SIZE, request.GET.get("page"))
    access_log_record(
        user=request.user,
        action=AccessLog.Action.SEARCH,
        subject="visit-search",
        path=request.get_full_path(),
        detail={key: str(value) for key, value in wanted.items() if value},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "treatments/visit_list.html",
        {"page": page, "filters": filters, "query": query.urlencode()},
    )


@permission_required("treatments.view_visit", raise_exception=True)
def visit_detail(request: StaffRequest, pk: int) -> HttpResponse:
    try:
        visit = selectors.visit_detail(user=request.user, pk=pk)
    except Visit.DoesNotExist as missing:
        raise Http404("No such visit.") from missing
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="visit",
        patient_id=visit.patient_id,
        object_id=visit.pk,
        path=request.path,
    )
    return render(request, "treatments/visit_detail.html", _visit_page(request, visit))


def _visit_page(request: StaffRequest, visit: Visit, *, void_form=None, sign_off_data=None) -> dict:
    """The visit page's context: the void form and, for a clinician while the visit
    awaits sign-off, a reason box per warning not yet acknowledged."""
    context = {"visit": visit, "returns_stock": services.visit_stock_returns_on_void(visit)}
    if request.user.has_perm(services.VOID_PERMISSION) and not visit.is_voided:
        context["void_form"] = void_form or VisitVoidForm()
    if (
        visit.sign_off == Visit.SignOff.AWAITING
        and not visit.is_voided
        and request.user.has_perm(services.ACKNOWLEDGE_PERMISSION)
    ):
        context["sign_off_rows"] = [
            _pending_row(
                services.PendingWarning(w.code, w.message), sign_off_data, may_acknowledge=True
            )
            for w in visit.warnings.all()
            if not w.is_acknowledged
        ]
        context["sign_off_note"] = (sign_off_data or {}).get("note", "")
    return context


def _recorded_message(visit: Visit) -> str:
    if visit.sign_off != Visit.SignOff.AWAITING:
        return f"Visit recorded for {visit.patient.full_name}."
    if visit.chart_review and not visit.warnings.exists():
        return (
            f"Visit recorded for {visit.patient.full_name}. It was picked for chart review:"
            " a clinician will review and sign it off."
        )
    return (
        f"Visit saved for {visit.patient.full_name}, awaiting a clinician's sign-off. Stock"
        " was taken and follow-ups are scheduled."
    )


@require_POST
@permission_required(services.ACKNOWLEDGE_PERMISSION, raise_exception=True)
def visit_sign_off(request: StaffRequest, pk: int) -> HttpResponse:
    try:
        visit = selectors.visit_detail(user=request.user, pk=pk)
    except Visit.DoesNotExist as missing:
        raise Http404("No such visit.") from missing
    acknowledgements = {
        code: request.POST.get(f"ack-{code}", "") for code in VisitWarning.Code.values
    }
    try:
        services.visit_sign_off(
            visit=visit,
            by=request.user,
            acknowledgements=acknowledgements,
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        # Reasons left empty are marked on their own boxes; anything else is said on top.
        if not hasattr(error, "error_dict"):
            messages.error(request, " ".join(error.messages))
        access_log_record(
            user=request.user,
            action=AccessLog.Action.VIEW,
            subject="visit",
            patient_id=visit.patient_id,
            object_id=visit.pk,
            path=request.path,
        )
        return render(
            request,
            "treatments/visit_detail.html",
            _visit_page(request, visit, sign_off_data=request.POST),
            status=400,
        )
    messages.success(request, f"Visit signed off for {visit.patient.full_name}.")
    return redirect("treatments:visit-detail", pk=visit.pk)


@permission_required("treatments.view_visit", raise_exception=True)
def sign_off_list(request: StaffRequest) -> HttpResponse:
    """Visits waiting for a clinician: nurses' visits with warnings, and chart reviews."""
    page = list_page(
        selectors.visits_awaiting_sign_off(user=request.user), PAGE_SIZE, request.GET.get("page")
    )
    access_log_record(
        user=request.user,
        action=AccessLog.Action.SEARCH,
        subject="sign-off-list",
        path=request.get_full_path(),
    )
    return render(request, "treatments/sign_off_list.html", {"page": page})


@require_POST
@permission_required("treatments.void_visit", raise_exception=True)
def visit_void(request: StaffRequest, pk: int) -> HttpResponse:
    try:
        visit = selectors.visit_detail(user=request.user, pk=pk)
    except Visit.DoesNotExist as missing:
        raise Http404("No such visit.") from missing
    form = VisitVoidForm(request.POST)
    returns_stock = services.visit_stock_returns_on_void(visit)
    # An already voided visit goes straight to the service, which says so.
    asks_first = not is_confirmed(request) and not visit.is_voided
    if form.is_valid() and not asks_first:
        try:
            services.visit_void(visit=visit, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Visit voided. It stays on record, marked as voided.")
            return redirect("treatments:visit-detail", pk=visit.pk)
    # The confirm page names the patient and the doses, so it is logged as a read too.
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="visit",
        patient_id=visit.patient_id,
        object_id=visit.pk,
        path=request.path,
    )
    if form.is_valid() and asks_first:
        return confirm_page(
            request, visit_void_confirmation(visit, form, returns_stock=returns_stock)
        )
    return render(
        request,
        "treatments/visit_detail.html",
        _visit_page(request, visit, void_form=form),
        status=400,
    )


def _pending_row(warning: services.PendingWarning, data, *, may_acknowledge: bool) -> dict:
    """A warning as the form shows it: its label in words, the reason typed so far, and
    an error when the reason was asked for and left empty."""
    asked = data is not None and f"ack-{warning.code}" in data
    reason = data.get(f"ack-{warning.code}", "") if data is not None else ""
    return {
        "code": warning.code,
        "label": VisitWarning.Code(warning.code).label,
        "message": warning.message,
        "reason": reason,
        "error": "Give the reason for going ahead, or change the visit."
        if may_acknowledge and asked and not reason.strip()
        else "",
    }


# --- Site catalogue ---------------------------------------------------------------


@permission_required("treatments.view_treatmentsite", raise_exception=True)
def site_list(request: StaffRequest) -> HttpResponse:
    return render(
        request, "treatments/site_list.html", {"sites": list(selectors.treatment_sites())}
    )


@permission_required("treatments.add_treatmentsite", raise_exception=True)
def site_add(request: StaffRequest) -> HttpResponse:
    form = TreatmentSiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            site = services.treatment_site_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{site.name} added to the catalogue.")
            return redirect("treatments:site-list")
    return render(request, "treatments/site_form.html", {"form": form})


@permission_required("treatments.change_treatmentsite", raise_exception=True)
def site_edit(request: StaffRequest, pk: int) -> HttpResponse:
    site = get_object_or_404(TreatmentSite, pk=pk)
    form = TreatmentSiteForm(request.POST or None, instance=site)
    if request.method == "POST" and form.is_valid():
        try:
            services.treatment_site_update(
                by=request.user, site=TreatmentSite.objects.get(pk=pk), **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['name']} saved.")
            return redirect("treatments:site-list")
    return render(request, "treatments/site_form.html", {"form": form, "site": site})
