from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from apps.accounts.requests import StaffRequest
from apps.audit.forms import AccessLogFilterForm
from apps.audit.models import AccessLog
from apps.audit.selectors import (
    access_log_entries,
    patients_by_id,
    record_history,
    tracked_model,
)
from apps.audit.services import access_log_record
from apps.patients.models import Patient
from exotrack.paging import list_page

PAGE_SIZE = 100


@permission_required("audit.view_accesslog", raise_exception=True)
def access_log(request: StaffRequest) -> HttpResponse:
    form = AccessLogFilterForm(request.GET or None)
    filters: dict = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "user_id": data["user"].pk if data["user"] else None,
            "action": data["action"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
        if data["patient"]:
            patient = Patient.objects.filter(mrn=data["patient"]).only("id").first()
            # An unknown MRN matches nothing rather than everything.
            filters["patient_id"] = patient.pk if patient else 0
    entries = access_log_entries(**filters) if not form.errors else AccessLog.objects.none()
    page = list_page(entries, PAGE_SIZE, request.GET.get("page"))
    patients = patients_by_id({e.patient_id for e in page.object_list if e.patient_id})
    rows = [
        (entry, patients.get(entry.patient_id) if entry.patient_id else None)
        for entry in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/access_log.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


@permission_required("audit.view_history", raise_exception=True)
def history(request: StaffRequest, app_label: str, model: str, pk: int) -> HttpResponse:
    tracked = tracked_model(app_label, model)
    if tracked is None:
        raise Http404("No history is kept for this kind of record.")
    changes = record_history(model=tracked, pk=pk)
    # A record loaded in bulk without its triggers has no events yet: say so.
    if not changes and not tracked._base_manager.filter(pk=pk).exists():
        raise Http404("No such record.")
    # Reading a record's history reads the patient's record: log it against the patient.
    patient_id = None
    if tracked is Patient:
        patient_id = pk
    elif any(field.name == "patient" for field in tracked._meta.fields):
        rows = tracked._base_manager.filter(pk=pk).values_list("patient_id", flat=True)
        patient_id = rows.first()
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject=f"history:{tracked._meta.label_lower}"[:60],
        patient_id=patient_id,
        object_id=pk,
        path=request.path,
    )
    return render(
        request,
        "audit/history.html",
        {
            "changes": list(reversed(changes)),
            "model_name": tracked._meta.verbose_name,
            "pk": pk,
            "patient_id": patient_id,
        },
    )
