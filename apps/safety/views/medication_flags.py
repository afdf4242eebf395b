"""Medication-flag pages: the review list, inline acknowledge and resolve (htmx swaps the
row; without JavaScript the form posts and the page reloads), and the patient page
section where staff raise a flag by hand."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.accounts.requests import StaffRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.patients.models import Medication, Patient
from apps.patients.selectors import patients_visible_to
from apps.safety.forms.medication_flags import FlagFilterForm, FlagRaiseForm, FlagResolveForm
from apps.safety.models import MedicationFlag
from apps.safety.selectors.medication_flags import (
    flag_search,
    flags_visible_to,
)
from apps.safety.services.medication_flags import (
    medication_flag_acknowledge,
    medication_flag_raise,
    medication_flag_resolve,
)
from exotrack.paging import list_page

PAGE_SIZE = 50
VIEW = ["safety.view_medicationflag", "patients.view_clinical"]
CHANGE = [*VIEW, "safety.change_medicationflag"]
RAISE = [*VIEW, "safety.add_medicationflag"]


@permission_required(VIEW, raise_exception=True)
def flag_list(request: StaffRequest) -> HttpResponse:
    filters = FlagFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    medication_class = chosen.get("medication_class")
    today = timezone.localdate()
    flags = flag_search(
        user=request.user,
        status=chosen.get("status", ""),
        medication_class_id=medication_class.pk if medication_class else None,
        today=today,
    )
    page = list_page(flags, PAGE_SIZE, request.GET.get("page"))
    access_log_record(
        user=request.user,
        action=AccessLog.Action.SEARCH,
        subject="medication-flags",
        path=request.get_full_path(),
        detail={"filters": request.GET.dict(), "page": page.number},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "safety/medication_flags/flag_list.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "today": today,
            "resolve_form": FlagResolveForm(),
        },
    )


def _back(request: StaffRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("safety:flag-list")


def _row(
    request: StaffRequest, flag: MedicationFlag, *, error: str = "", form=None
) -> HttpResponse:
    """After acknowledge or resolve: the flag's row alone for htmx, else the page again."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        return _back(request)
    flag = flags_visible_to(request.user).get(pk=flag.pk)
    context = {
        "flag": flag,
        "today": timezone.localdate(),
        "error": error,
        "resolve_form": form or FlagResolveForm(),
        "next": request.POST.get("next", ""),
    }
    return render(request, "safety/medication_flags/_flag_row.html", context)


@require_POST
@permission_required(CHANGE, raise_exception=True)
def flag_acknowledge(request: StaffRequest, pk: int) -> HttpResponse:
    flag = get_object_or_404(flags_visible_to(request.user), pk=pk)
    try:
        medication_flag_acknowledge(by=request.user, flag=flag)
    except ValidationError as problem:
        return _row(request, flag, error="Not acknowledged: " + " ".join(problem.messages))
    if not request.htmx:
        messages.success(request, f"Flag for {flag.medication.name} acknowledged.")
    return _row(request, flag)


@require_POST
@permission_required(CHANGE, raise_exception=True)
def flag_resolve(request: StaffRequest, pk: int) -> HttpResponse:
    flag = get_object_or_404(flags_visible_to(request.user), pk=pk)
    form = FlagResolveForm(request.POST)
    if not form.is_valid():
        return _row(request, flag, error="Not resolved: say what was done.", form=form)
    try:
        medication_flag_resolve(by=request.user, flag=flag, **form.cleaned_data)
    except ValidationError as problem:
        return _row(request, flag, error="Not resolved: " + " ".join(problem.messages), form=form)
    if not request.htmx:
        messages.success(request, f"Flag for {flag.medication.name} resolved.")
    return _row(request, flag)


def flaggable_medications(patient: Patient) -> QuerySet[Medication]:
    """The patient's medications a flag may name, with their class."""
    return Medication.objects.filter(patient=patient).select_related("medication_class")


@require_POST
@permission_required(RAISE, raise_exception=True)
def flag_raise(request: StaffRequest, patient_pk: int) -> HttpResponse:
    patient = get_object_or_404(patients_visible_to(request.user), pk=patient_pk)
    form = FlagRaiseForm(request.POST, medications=flaggable_medications(patient))
    if form.is_valid():
        try:
            flag = medication_flag_raise(by=request.user, **form.cleaned_data)
        except ValidationError as problem:
            messages.error(request, "Flag not raised: " + " ".join(problem.messages))
        else:
            messages.success(
                request,
                f"Flag raised for {flag.medication.name}: review by {flag.review_by:%Y-%m-%d}.",
            )
    else:
        # An error list yields its messages as text (the stubs type them as errors too).
        problems = [f"{f.capitalize()}: {' '.join(map(str, e))}" for f, e in form.errors.items()]
        messages.error(request, "Flag not raised: " + "; ".join(problems))
    return redirect(reverse("patients:detail", args=[patient.pk]) + "#medication-flags")
