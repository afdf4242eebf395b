"""Injection-map pages: tap where each dose went (per treated site of a visit), and a
print view of the visit's maps with the doses. Reads are written to the access log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.accounts.requests import StaffRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.injection_maps.selectors import visit_injection_maps
from apps.injection_maps.services import injection_map_save, points_from_text
from apps.treatments.models import Visit
from apps.treatments.selectors import visits_visible_to

_SEE = ["treatments.view_visit", "treatments.view_dose", "patients.view_clinical"]


def _visit(request: StaffRequest, pk: int) -> Visit:
    if not request.user.has_perm("patients.view_clinical"):
        raise Http404("No such visit.")
    try:
        return visits_visible_to(request.user).get(pk=pk)
    except Visit.DoesNotExist as missing:
        raise Http404("No such visit.") from missing


@login_required
@permission_required([*_SEE, "injection_maps.add_injectionpoint"], raise_exception=True)
@require_http_methods(["GET", "POST"])
def map_edit(request: StaffRequest, visit_pk: int) -> HttpResponse:
    visit = _visit(request, visit_pk)
    maps = visit_injection_maps(visit=visit)
    errors: dict[int, str] = {}
    if request.method == "POST":
        for dose_map in maps:
            field = f"points-{dose_map.dose.pk}"
            if field not in request.POST:
                continue
            try:
                points = points_from_text(request.POST[field])
                injection_map_save(dose=dose_map.dose, points=points, by=request.user)
            except ValidationError as error:
                errors[dose_map.dose.pk] = " ".join(error.messages)
        if not errors:
            messages.success(request, "Injection map saved.")
            return redirect("treatments:visit-detail", pk=visit.pk)
    return render(
        request,
        "injection_maps/map_edit.html",
        {"visit": visit, "maps": maps, "errors": errors},
        status=400 if errors else 200,
    )


@login_required
@permission_required(_SEE, raise_exception=True)
def map_print(request: StaffRequest, visit_pk: int) -> HttpResponse:
    visit = _visit(request, visit_pk)
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="injection-map",
        patient_id=visit.patient_id,
        object_id=visit.pk,
        path=request.path,
    )
    return render(
        request,
        "injection_maps/map_print.html",
        {"visit": visit, "maps": visit_injection_maps(visit=visit)},
    )
