from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.requests import StaffRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.patients.forms import (
    MedicationClassForm,
    MedicationForm,
    MedicationStopForm,
    PatientForm,
    PatientVoidForm,
)
from apps.patients.models import Medication, MedicationClass
from apps.patients.selectors import (
    medication_classes,
    patient_medications,
    patient_search,
    patients_visible_to,
)
from apps.patients.services import (
    PossibleDuplicate,
    medication_add,
    medication_class_update,
    medication_stop,
    patient_register,
    patient_update,
    patient_void,
)
from exotrack.forms import add_service_errors
from exotrack.paging import list_page
from exotrack.sections import PATIENT_PAGE

PAGE_SIZE = 50


def _visible_patient(request: StaffRequest, pk: int):
    # Voided patients stay reachable by link (e.g. from the access log); a patient the
    # user may not see at all is a 404.
    return get_object_or_404(patients_visible_to(request.user, include_voided=True), pk=pk)


@permission_required("patients.view_patient", raise_exception=True)
def patient_list(request: StaffRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    include_voided = request.GET.get("voided") == "1"
    patients = patient_search(query=query, user=request.user, include_voided=include_voided)
    page = list_page(patients, PAGE_SIZE, request.GET.get("page"))
    access_log_record(
        user=request.user,
        action=AccessLog.Action.SEARCH,
        subject="patient-search",
        path=request.get_full_path(),
        detail={"query": query, "page": page.number, "voided": include_voided},
    )
    return render(
        request,
        "patients/patient_list.html",
        {"page": page, "query": query, "include_voided": include_voided},
    )


@permission_required("patients.add_patient", raise_exception=True)
def patient_add(request: StaffRequest) -> HttpResponse:
    form = PatientForm(request.POST or None, user=request.user)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        try:
            patient = patient_register(
                by=request.user,
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
                **form.patient_fields(),
            )
        except PossibleDuplicate as warning:
            duplicates = warning.matches
            # The same form, resubmitted with this set, registers anyway.
            form = PatientForm(
                {**request.POST.dict(), "confirm_duplicate": "on"}, user=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{patient.full_name} registered as {patient.mrn}.")
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "duplicates": duplicates})


@permission_required("patients.view_patient", raise_exception=True)
def patient_detail(request: StaffRequest, pk: int) -> HttpResponse:
    patient = _visible_patient(request, pk)
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="patient",
        patient_id=patient.pk,
        object_id=patient.pk,
        path=request.path,
    )
    context = {
        "patient": patient,
        "sections": PATIENT_PAGE.shown(user=request.user, patient=patient),
    }
    return render(request, "patients/patient_detail.html", context)


@permission_required("patients.change_patient", raise_exception=True)
def patient_edit(request: StaffRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(patients_visible_to(request.user), pk=pk)
    form = PatientForm(request.POST or None, instance=patient, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            patient_update(by=request.user, patient=patient, **form.patient_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Patient details saved.")
            return redirect("patients:detail", pk=patient.pk)
    # The edit form shows the record as it stands: that is a read too.
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="patient-edit",
        patient_id=patient.pk,
        object_id=patient.pk,
        path=request.path,
    )
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


@permission_required("patients.void_patient", raise_exception=True)
def patient_void_view(request: StaffRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(patients_visible_to(request.user), pk=pk)
    form = PatientVoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient_void(by=request.user, patient=patient, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{patient.full_name} ({patient.mrn}) voided.")
            return redirect("patients:list")
    # The confirm page names the patient, so it is logged as a read, like the record.
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="patient",
        patient_id=patient.pk,
        object_id=patient.pk,
        path=request.path,
    )
    return render(request, "patients/patient_void.html", {"form": form, "patient": patient})


def _medications_response(
    request: StaffRequest, patient, *, notice: str = "", error: str = "", form=None
) -> HttpResponse:
    """The medications card alone for htmx; otherwise back to the patient page."""
    if not request.htmx:
        if notice:
            messages.success(request, notice)
        if error:
            messages.error(request, error)
        return redirect("patients:detail", pk=patient.pk)
    context = {
        "patient": patient,
        "medications": list(patient_medications(patient=patient)),
        "medication_form": form or MedicationForm(),
        "stop_form": MedicationStopForm(),
        "notice": notice,
        "error": error,
    }
    return render(request, "patients/_medications.html", context)


@require_POST
@permission_required(["patients.add_medication", "patients.view_clinical"], raise_exception=True)
def medication_add_view(request: StaffRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(patients_visible_to(request.user), pk=pk)
    form = MedicationForm(request.POST)
    if form.is_valid():
        try:
            medication = medication_add(by=request.user, patient=patient, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _medications_response(request, patient, notice=f"{medication.name} added.")
    return _medications_response(
        request, patient, error="Medication not added: " + _errors_text(form), form=form
    )


@require_POST
@permission_required(["patients.change_medication", "patients.view_clinical"], raise_exception=True)
def medication_stop_view(request: StaffRequest, pk: int, medication_pk: int) -> HttpResponse:
    patient = get_object_or_404(patients_visible_to(request.user), pk=pk)
    medication = get_object_or_404(Medication, pk=medication_pk, patient=patient)
    form = MedicationStopForm(request.POST)
    if form.is_valid():
        try:
            medication_stop(
                by=request.user, medication=medication, stopped_on=form.cleaned_data["stopped_on"]
            )
        except ValidationError as error:
            problem = "; ".join(error.messages)
        else:
            return _medications_response(request, patient, notice=f"{medication.name} stopped.")
    else:
        problem = _errors_text(form)
    return _medications_response(
        request, patient, error=f"{medication.name} not stopped: {problem}"
    )


def _errors_text(form) -> str:
    return "; ".join(
        f"{form.fields[name].label}: {message}" if name in form.fields else message
        for name, errors in form.errors.items()
        for message in errors
    )


# --- Medication classes -------------------------------------------------------------


@permission_required("patients.change_medicationclass", raise_exception=True)
def medication_class_list(request: StaffRequest) -> HttpResponse:
    return render(
        request,
        "patients/medication_class_list.html",
        {"medication_classes": list(medication_classes())},
    )


@permission_required("patients.change_medicationclass", raise_exception=True)
def medication_class_edit(request: StaffRequest, pk: int) -> HttpResponse:
    medication_class = get_object_or_404(MedicationClass, pk=pk)
    form = MedicationClassForm(request.POST or None, instance=medication_class)
    if request.method == "POST" and form.is_valid():
        try:
            medication_class_update(
                by=request.user,
                medication_class=MedicationClass.objects.get(pk=pk),
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['name']} saved.")
            return redirect("patients:medication-class-list")
    return render(
        request,
        "patients/medication_class_form.html",
        {"form": form, "medication_class": medication_class},
    )
