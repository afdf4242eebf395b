"""The self-report pages: the one patients open from a reminder e-mail, and the one a
clinician reviews it on.

The patient's page needs no login: the signed, expiring token is the key, and the
follow-up remembers when it was used.

The page shows the clinic's name and the patient's first name, nothing else. A patient
answering is not staff reading a record, so nothing is written to the access log; the
change history records the submission (with no staff member) like any other write.
Requests are counted per client address (FOLLOWUP_SELF_REPORT_REQUESTS_PER_HOUR) in the
cache, so nobody can try tokens or flood the form.

On the review page a clinician confirms a reported symptom as an adverse event (on the
adverse-event form) or dismisses it with a note.

A patient whose consent allows photos may add one; it goes through the checks of staff
uploads and waits in the worklist for staff to accept it into the record."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from apps.accounts.client_ip import client_ip
from apps.accounts.rate_limits import rate_limit_hit
from apps.accounts.requests import StaffRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.clinic.selectors import clinic_profile
from apps.followups.forms.self_reports import SelfReportDismissForm, SelfReportForm
from apps.followups.models import SelfReport
from apps.followups.selectors.self_reports import self_report_scores, self_reports_visible_to
from apps.followups.services.self_reports import (
    SelfReportUnavailable,
    self_report_dismiss,
    self_report_follow_up,
    self_report_submit,
)
from apps.followups.tokens import LinkExpired, LinkInvalid, self_report_follow_up_id
from apps.photos.selectors import photos_allowed
from exotrack.forms import add_service_errors

REVIEW_PERMISSION = "followups.change_selfreport"
UNAVAILABLE_TEMPLATE = "followups/public/self_report_unavailable.html"
# Why a link cannot be answered, and the HTTP status the page carries.
UNAVAILABLE_STATUS = {
    "expired": 410,
    "used": 410,
    "completed": 410,
    "cancelled": 410,
    "unknown": 404,
    "tampered": 404,
    "busy": 429,
}


def over_rate_limit(request: HttpRequest) -> bool:
    """Counts this request in the client's hour; True once over the limit."""
    return rate_limit_hit(
        key=f"self-report:{client_ip(request)}",
        limit=settings.FOLLOWUP_SELF_REPORT_REQUESTS_PER_HOUR,
    )


def _unavailable(request: HttpRequest, reason: str, context: dict) -> HttpResponse:
    return render(
        request,
        UNAVAILABLE_TEMPLATE,
        {**context, "reason": reason},
        status=UNAVAILABLE_STATUS[reason],
    )


@never_cache
@require_http_methods(["GET", "POST"])
def self_report(request: HttpRequest, token: str) -> HttpResponse:
    context: dict[str, Any] = {"clinic": clinic_profile()}
    if over_rate_limit(request):
        return _unavailable(request, "busy", context)
    try:
        follow_up_id = self_report_follow_up_id(token)
        follow_up = self_report_follow_up(follow_up_id)
    except LinkExpired:
        return _unavailable(request, "expired", context)
    except LinkInvalid:
        return _unavailable(request, "tampered", context)
    except SelfReportUnavailable as closed:
        return _unavailable(request, closed.reason, context)
    context["first_name"] = follow_up.patient.first_name
    posted = request.method == "POST"
    form = SelfReportForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        photos_allowed=photos_allowed(patient=follow_up.patient),
    )
    if posted and form.is_valid():
        photo = form.cleaned_data.get("photo")
        try:
            report = self_report_submit(
                follow_up_id=follow_up_id, answers=form.answers(), photo=photo
            )
        except SelfReportUnavailable as closed:  # answered in another tab a moment ago
            return _unavailable(request, closed.reason, context)
        except ValidationError as refused:
            add_service_errors(form, refused)
        else:
            return render(
                request,
                "followups/public/self_report_done.html",
                {**context, "symptom": report.has_symptom, "photo_sent": photo is not None},
            )
    return render(
        request,
        "followups/public/self_report.html",
        {**context, "form": form},
        status=400 if form.is_bound else 200,
    )


@permission_required("followups.view_selfreport", raise_exception=True)
def self_report_review(request: StaffRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(self_reports_visible_to(request.user), pk=pk)
    may_review = (
        request.user.has_perm(REVIEW_PERMISSION) and report.review == SelfReport.Review.WAITING
    )
    form = SelfReportDismissForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not may_review:
            return HttpResponse("This self-report cannot be dismissed by you now.", status=403)
        if form.is_valid():
            try:
                self_report_dismiss(by=request.user, report=report, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, "Self-report dismissed: nothing recorded as an adverse event."
                )
                return redirect("followups:worklist")
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="self-report",
        patient_id=report.patient_id,
        object_id=report.pk,
        path=request.path,
    )
    return render(
        request,
        "followups/self_report_review.html",
        {
            "report": report,
            "patient": report.patient,
            "visit": report.follow_up.visit,
            "scores": self_report_scores(report),
            "may_review": may_review,
            "form": form,
        },
        status=400 if form.is_bound else 200,
    )
