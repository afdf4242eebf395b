"""The manager's import pages: upload, match columns, see the dry run, import."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.requests import StaffRequest
from apps.imports.forms import MappingForm, UploadForm
from apps.imports.models import PatientImport
from apps.imports.services import (
    IMPORT_PERMISSION,
    patient_import_check_start,
    patient_import_map,
    patient_import_start,
    patient_import_upload,
    template_headers,
)

# The page lists this many problems; the count says how many there are in all.
PROBLEMS_SHOWN = 200

manager_only = permission_required(IMPORT_PERMISSION, raise_exception=True)


@login_required
@manager_only
def import_list(request: StaffRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient_import = patient_import_upload(
                by=request.user, file=form.cleaned_data["file"], kind=form.cleaned_data["kind"]
            )
        except ValidationError as error:
            form.add_error("file", error.message_dict.get("file", error.messages))
        else:
            return redirect("imports:detail", pk=patient_import.pk)
    recent = PatientImport.objects.select_related("uploaded_by").defer("content")[:20]
    return render(request, "imports/list.html", {"form": form, "imports": recent})


def _detail_context(patient_import: PatientImport, form: MappingForm) -> dict:
    return {
        "patient_import": patient_import,
        "form": form,
        "problems": patient_import.problems[:PROBLEMS_SHOWN],
        "problems_hidden": max(0, len(patient_import.problems) - PROBLEMS_SHOWN),
        "can_import": patient_import.status == PatientImport.Status.CHECKED
        and not patient_import.problems
        and patient_import.adds_something,
    }


@login_required
@manager_only
def import_detail(request: StaffRequest, pk) -> HttpResponse:
    patient_import = get_object_or_404(PatientImport.objects.defer("content"), pk=pk)
    form = MappingForm(request.POST or None, patient_import=patient_import)
    if request.method == "POST" and form.is_valid():
        try:
            patient_import_map(
                by=request.user,
                patient_import=patient_import,
                mapping=form.mapping(),
                date_format=form.cleaned_data["date_format"],
                defaults=form.defaults(),
            )
            patient_import_check_start(by=request.user, patient_import=patient_import)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            return redirect("imports:detail", pk=patient_import.pk)
    return render(request, "imports/detail.html", _detail_context(patient_import, form))


@login_required
@manager_only
@require_POST
def import_start(request: StaffRequest, pk) -> HttpResponse:
    patient_import = get_object_or_404(PatientImport.objects.defer("content"), pk=pk)
    try:
        patient_import_start(by=request.user, patient_import=patient_import)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if patient_import.status == PatientImport.Status.IMPORTED:
            what = (
                f"{patient_import.new_doses} past doses"
                if patient_import.kind == PatientImport.Kind.VISITS
                else f"{patient_import.new_patients} patients"
            )
            messages.success(request, f"{what} imported from {patient_import.file_name}.")
    return redirect("imports:detail", pk=patient_import.pk)


@login_required
@manager_only
def import_progress(request: StaffRequest, pk) -> HttpResponse:
    """The progress line, polled by the page while the worker checks or imports."""
    patient_import = get_object_or_404(PatientImport.objects.defer("content"), pk=pk)
    response = render(request, "imports/_progress.html", {"patient_import": patient_import})
    if not patient_import.is_working:
        # Done: the whole page is shown again with the outcome.
        response["HX-Refresh"] = "true"
    return response


# One example row per kind of file, in the template's columns.
_TEMPLATE_EXAMPLES = {
    PatientImport.Kind.PATIENTS: [
        "A-1001",
        "Ada",
        "Lovelace",
        "1975-12-10",
        "female",
        "ada@example.com",
        "+1 555 0100",
        "yes",
    ],
    PatientImport.Kind.VISITS: [
        "A-1001",
        "",
        "",
        "",
        "2024-05-14",
        "10:30",
        "Knee",
        "left",
        "ExoFlow 10",
        "EX-2404",
        "2025-04-30",
        "8",
        "dr.grey",
        "",
        "Knee osteoarthritis",
    ],
}


@login_required
@manager_only
def import_template(request: StaffRequest, kind: str = PatientImport.Kind.PATIENTS) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="exotrack-{kind}-template.csv"'
    writer = csv.writer(response)
    writer.writerow(template_headers(kind))
    writer.writerow(_TEMPLATE_EXAMPLES[PatientImport.Kind(kind)])
    return response
