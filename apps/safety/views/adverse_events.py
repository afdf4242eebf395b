"""Staff pages of adverse events: the list, one event, recording from a visit, correcting,
voiding, and the MedWatch page and downloads. Every read is access-logged."""

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.requests import StaffRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.followups.models import SelfReport
from apps.safety.confirmations import adverse_event_void_confirmation
from apps.safety.forms.adverse_events import (
    AdverseEventFilterForm,
    AdverseEventForm,
    AdverseEventTypeForm,
    AdverseEventVoidForm,
)
from apps.safety.models import AdverseEvent, AdverseEventType, Seriousness
from apps.safety.selectors import adverse_events as selectors
from apps.safety.services import adverse_events as services
from apps.treatments.models import Visit
from apps.treatments.selectors import visit_detail
from exotrack.confirm import confirm_page, is_confirmed
from exotrack.csv_export import csv_filename, csv_lines, csv_response
from exotrack.forms import add_service_errors
from exotrack.paging import list_page
from exotrack.query_ids import id_from_query

PAGE_SIZE = 50

# A patient's "yes" in a self-report, and the event type it suggests (seeded codes).
REPORT_ANSWER_TYPES = (
    ("cold_sore", "cold_sore"),
    ("wound_signs", "injection_site_infection"),
    ("fever", "fever_flu_like"),
    ("dizziness", "orthostatic_hypotension"),
)


def _event_or_404(request: StaffRequest, pk: int) -> AdverseEvent:
    try:
        return selectors.adverse_event_detail(user=request.user, pk=pk)
    except AdverseEvent.DoesNotExist as missing:
        raise Http404("No such adverse event.") from missing


def _log_read(request: StaffRequest, event: AdverseEvent, *, subject: str, action: str) -> None:
    access_log_record(
        user=request.user,
        action=action,
        subject=subject,
        patient_id=event.patient_id,
        object_id=event.pk,
        path=request.path,
    )


@permission_required("safety.view_adverseevent", raise_exception=True)
def adverse_event_list(request: StaffRequest) -> HttpResponse:
    filters = AdverseEventFilterForm(
        request.GET or None, event_types=selectors.adverse_event_types()
    )
    wanted = filters.cleaned_data if filters.is_valid() else {}
    events = selectors.adverse_event_search(
        user=request.user,
        event_type_id=getattr(wanted.get("event_type"), "pk", None),
        serious=wanted.get("serious"),
        grade=wanted.get("grade"),
        lot_number=wanted.get("lot", ""),
        onset_from=wanted.get("onset_from"),
        onset_to=wanted.get("onset_to"),
    )
    page = list_page(events, PAGE_SIZE, request.GET.get("page"))
    access_log_record(
        user=request.user,
        action=AccessLog.Action.SEARCH,
        subject="adverse-event-search",
        path=request.get_full_path(),
        detail={key: str(value) for key, value in wanted.items() if value not in (None, "")},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "safety/adverse_events/list.html",
        {"page": page, "filters": filters, "query": query.urlencode()},
    )


@permission_required("safety.view_adverseevent", raise_exception=True)
def adverse_event_detail(request: StaffRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    _log_read(request, event, subject="adverse-event", action=AccessLog.Action.VIEW)
    may_void = request.user.has_perm(services.CHANGE_PERMISSION) and not event.is_voided
    return render(
        request,
        "safety/adverse_events/detail.html",
        _detail_context(event, void_form=AdverseEventVoidForm() if may_void else None),
    )


def _detail_context(event: AdverseEvent, *, void_form: AdverseEventVoidForm | None) -> dict:
    return {
        "event": event,
        "criteria": [Seriousness(value).label for value in event.seriousness],
        "void_form": void_form,
    }


def _visit_from_query(request: StaffRequest) -> Visit:
    visit_id = id_from_query(request.GET, "visit")
    if visit_id is None:
        raise Http404("Open the visit first, then record the adverse event.")
    try:
        return visit_detail(user=request.user, pk=visit_id)
    except Visit.DoesNotExist as missing:
        raise Http404("No such visit.") from missing


def _report_from_query(request: StaffRequest, visit: Visit) -> SelfReport | None:
    if not request.GET.get("self_report"):
        return None
    report_id = id_from_query(request.GET, "self_report")
    report = (
        SelfReport.objects.filter(pk=report_id, patient_id=visit.patient_id).first()
        if report_id is not None
        else None
    )
    if report is None:
        raise Http404("No such self-report for this patient.")
    return report


def _initial_from_report(report: SelfReport | None) -> dict[str, Any]:
    if report is None:
        return {"onset_date": timezone.localdate()}
    initial: dict[str, Any] = {"onset_date": timezone.localdate(report.submitted_at)}
    for answer, code in REPORT_ANSWER_TYPES:
        if getattr(report, answer):
            event_type = AdverseEventType.objects.filter(code=code, active=True).first()
            if event_type is not None:
                initial["event_type"] = event_type.pk
            break
    return initial


@permission_required("safety.add_adverseevent", raise_exception=True)
def adverse_event_add(request: StaffRequest) -> HttpResponse:
    visit = _visit_from_query(request)
    report = _report_from_query(request, visit)
    # The form shows the patient and the visit's doses: a read of their record.
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="adverse-event-form",
        patient_id=visit.patient_id,
        object_id=visit.pk,
        path=request.get_full_path(),
    )
    doses = list(visit.doses.all())
    initial = _initial_from_report(report)
    # Every dose of the visit ticked to start with: staff untick the sites an event
    # (an infection at one knee) does not follow, rather than hunt for each one.
    initial["doses"] = [dose.pk for dose in doses]
    form = AdverseEventForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        doses=doses,
        event_types=selectors.adverse_event_types(active_only=True),
    )
    if request.method == "POST" and form.is_valid():
        try:
            event = services.adverse_event_record(
                by=request.user,
                patient=visit.patient,
                visit=visit,
                doses=form.cleaned_data["doses"],
                self_report=report,
                **form.details(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Adverse event recorded for {visit.patient.full_name}.")
            return redirect("safety:adverse-event-detail", pk=event.pk)
    return render(
        request,
        "safety/adverse_events/form.html",
        {"form": form, "visit": visit, "patient": visit.patient, "report": report},
    )


@permission_required("safety.change_adverseevent", raise_exception=True)
def adverse_event_edit(request: StaffRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    if event.is_voided:
        raise Http404("A voided event is not edited.")
    visit = visit_detail(user=request.user, pk=event.visit_id)
    form = AdverseEventForm(
        request.POST if request.method == "POST" else None,
        initial={
            **{name: getattr(event, name) for name in services.DETAIL_FIELDS},
            "doses": [dose.pk for dose in event.doses.all()],
        },
        doses=list(visit.doses.all()),
        event_types=selectors.adverse_event_types(active_only=True, keep_id=event.event_type_id),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.adverse_event_update(
                by=request.user, event=event, doses=form.cleaned_data["doses"], **form.details()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Adverse event saved.")
            return redirect("safety:adverse-event-detail", pk=event.pk)
    # The form shows the record as it stands: a read of the patient's record too.
    _log_read(request, event, subject="adverse-event-edit", action=AccessLog.Action.VIEW)
    return render(
        request,
        "safety/adverse_events/form.html",
        {"form": form, "visit": visit, "patient": event.patient, "event": event},
    )


@require_POST
@permission_required("safety.change_adverseevent", raise_exception=True)
def adverse_event_void(request: StaffRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    form = AdverseEventVoidForm(request.POST)
    # An already voided event goes straight to the service, which says so.
    asks_first = not is_confirmed(request) and not event.is_voided
    if form.is_valid() and not asks_first:
        try:
            services.adverse_event_void(
                by=request.user, event=event, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Adverse event voided. It stays on record, marked.")
            return redirect("safety:adverse-event-detail", pk=event.pk)
    # The confirm page names the patient and the event, so it is logged as a read too.
    _log_read(request, event, subject="adverse-event", action=AccessLog.Action.VIEW)
    if form.is_valid() and asks_first:
        return confirm_page(request, adverse_event_void_confirmation(event, form))
    return render(
        request,
        "safety/adverse_events/detail.html",
        _detail_context(event, void_form=form),
        status=400,
    )


@permission_required("safety.view_adverseevent", raise_exception=True)
def medwatch_page(request: StaffRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    _log_read(request, event, subject="adverse-event-medwatch", action=AccessLog.Action.VIEW)
    return render(
        request,
        "safety/adverse_events/medwatch.html",
        {"event": event, "report": selectors.medwatch_report(event=event)},
    )


@permission_required("safety.view_adverseevent", raise_exception=True)
def medwatch_json(request: StaffRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    _log_read(request, event, subject="export:medwatch-json", action=AccessLog.Action.EXPORT)
    report = selectors.medwatch_report(event=event)
    response = HttpResponse(
        json.dumps(report, cls=DjangoJSONEncoder, indent=2), content_type="application/json"
    )
    filename = csv_filename(f"medwatch-event-{event.pk}").removesuffix(".csv") + ".json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@permission_required("safety.view_adverseevent", raise_exception=True)
def medwatch_csv(request: StaffRequest, pk: int) -> StreamingHttpResponse:
    event = _event_or_404(request, pk)
    _log_read(request, event, subject="export:medwatch-csv", action=AccessLog.Action.EXPORT)
    rows = selectors.medwatch_rows(selectors.medwatch_report(event=event))
    return csv_response(
        stem=f"medwatch-event-{event.pk}",
        chunks=csv_lines(selectors.MEDWATCH_CSV_HEADER, rows),
    )


# --- The list of types (clinic manager) ---------------------------------------------


@permission_required("safety.change_adverseeventtype", raise_exception=True)
def adverse_event_type_list(request: StaffRequest) -> HttpResponse:
    return render(
        request,
        "safety/adverse_events/type_list.html",
        {"event_types": list(selectors.adverse_event_types())},
    )


@permission_required("safety.change_adverseeventtype", raise_exception=True)
def adverse_event_type_edit(request: StaffRequest, pk: int) -> HttpResponse:
    event_type = get_object_or_404(AdverseEventType, pk=pk)
    form = AdverseEventTypeForm(
        request.POST if request.method == "POST" else None,
        initial={
            "expected_one_in": event_type.expected_one_in,
            "exposure": event_type.exposure,
            "active": event_type.active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.adverse_event_type_update(
                by=request.user, event_type=event_type, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{event_type.name} saved.")
            return redirect("safety:adverse-event-type-list")
    return render(
        request,
        "safety/adverse_events/type_form.html",
        {"form": form, "event_type": event_type},
    )
