"""The review page of a patient's self-report: a clinician confirms a reported symptom
as an adverse event (on the adverse-event form) or dismisses it with a note."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from apps.accounts.requests import StaffRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.followups.forms.patient_reports import PatientReportDismissForm
from apps.followups.models import PatientReport
from apps.followups.selectors.patient_reports import (
    patient_report_scores,
    patient_reports_visible_to,
)
from apps.followups.services.self_reports import patient_report_dismiss
from exotrack.forms import add_service_errors

REVIEW_PERMISSION = "followups.change_patientreport"


@permission_required("followups.view_patientreport", raise_exception=True)
def patient_report(request: StaffRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(patient_reports_visible_to(request.user), pk=pk)
    may_review = (
        request.user.has_perm(REVIEW_PERMISSION) and report.review == PatientReport.Review.WAITING
    )
    form = PatientReportDismissForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not may_review:
            return HttpResponse("This report cannot be dismissed by you now.", status=403)
        if form.is_valid():
            try:
                patient_report_dismiss(by=request.user, report=report, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Report dismissed: nothing recorded as an adverse event.")
                return redirect("followups:worklist")
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="patient-report",
        patient_id=report.patient_id,
        object_id=report.pk,
        path=request.path,
    )
    return render(
        request,
        "followups/patient_report.html",
        {
            "report": report,
            "patient": report.patient,
            "visit": report.follow_up.visit,
            "scores": patient_report_scores(report),
            "may_review": may_review,
            "form": form,
        },
        status=400 if form.is_bound else 200,
    )
