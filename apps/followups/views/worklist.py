"""The staff worklist and the work done on one follow-up (add, complete, reschedule,
cancel). On an htmx request an action answers with the follow-up's row alone."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.accounts.requests import StaffRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.followups.forms.follow_ups import (
    FollowUpAddForm,
    FollowUpCancelForm,
    FollowUpCompleteForm,
    FollowUpRescheduleForm,
)
from apps.followups.models import FollowUp
from apps.followups.selectors.follow_ups import VIEW_PERMISSION, follow_ups_visible_to
from apps.followups.selectors.worklist import worklist_for, worklist_section
from apps.followups.services import scheduling
from apps.patients.selectors import may_see_clinical, patients_visible_to
from apps.treatments.selectors import treatment_sites
from exotrack.forms import add_service_errors
from exotrack.query_ids import id_from_query

WORK_PERMISSION = "followups.change_followup"


# Whoever may read follow-ups sees the worklist (a manager who asked for recall calls
# sees them made); the buttons that change one ask for WORK_PERMISSION.
@permission_required(VIEW_PERMISSION, raise_exception=True)
def worklist(request: StaffRequest) -> HttpResponse:
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="follow-up-worklist",
        path=request.path,
    )
    return render(
        request,
        "followups/worklist.html",
        {"worklist": worklist_for(user=request.user), "today": timezone.localdate()},
    )


def _back(request: StaffRequest, follow_up: FollowUp) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("followups:worklist")


def _act(request: StaffRequest, pk: int, form_class, service: Callable, done: str) -> HttpResponse:
    """Run one staff action on a pending follow-up the user may see (404 otherwise)."""
    follow_up = get_object_or_404(follow_ups_visible_to(request.user), pk=pk)
    form = form_class(request.POST)
    error = ""
    if form.is_valid():
        try:
            follow_up = service(follow_up=follow_up, by=request.user, **form.cleaned_data)
        except ValidationError as refused:
            error = " ".join(refused.messages)
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if not request.htmx:
        if error:
            messages.error(request, f"Not saved: {error}")
        else:
            messages.success(request, done)
        return _back(request, follow_up)
    follow_up = follow_ups_visible_to(request.user).get(pk=pk)
    today = timezone.localdate()
    return render(
        request,
        "followups/_worklist_row.html",
        {
            "follow_up": follow_up,
            "section": worklist_section(follow_up, today=today) or "done",
            "today": today,
            "notice": "" if error else done,
            "error": error,
        },
    )


@require_POST
@permission_required(WORK_PERMISSION, raise_exception=True)
def follow_up_complete(request: StaffRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, FollowUpCompleteForm, scheduling.follow_up_complete, "Follow-up completed."
    )


@require_POST
@permission_required(WORK_PERMISSION, raise_exception=True)
def follow_up_reschedule(request: StaffRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        FollowUpRescheduleForm,
        scheduling.follow_up_reschedule,
        "Follow-up rescheduled.",
    )


@require_POST
@permission_required(WORK_PERMISSION, raise_exception=True)
def follow_up_cancel(request: StaffRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, FollowUpCancelForm, scheduling.follow_up_cancel, "Follow-up cancelled."
    )


@permission_required("followups.add_followup", raise_exception=True)
def follow_up_add(request: StaffRequest) -> HttpResponse:
    patient_id = id_from_query(request.GET, "patient")
    if patient_id is None:
        raise Http404("Open the patient first, then add the follow-up.")
    patient = get_object_or_404(patients_visible_to(request.user), pk=patient_id)
    # The form shows the patient: a read of their record.
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="follow-up-form",
        patient_id=patient.pk,
        path=request.get_full_path(),
    )
    sites = treatment_sites(active_only=True) if may_see_clinical(request.user) else None
    form = FollowUpAddForm(request.POST or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        try:
            scheduling.follow_up_add_by_staff(by=request.user, patient=patient, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Follow-up added for {patient.full_name}.")
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "followups/follow_up_form.html", {"form": form, "patient": patient})
