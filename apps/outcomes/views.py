"""Staff pages of outcomes: record an assessment (for one treated site, or for every site
of a follow-up's visit), an episode's assessments, and voiding a mistaken one."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.requests import StaffRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.followups.models import FollowUp
from apps.outcomes import selectors, services
from apps.outcomes.forms import AssessmentDayForm, AssessmentVoidForm, EpisodeForm
from exotrack.forms import add_service_errors
from exotrack.query_ids import id_from_query


def _what_to_assess(request: StaffRequest) -> tuple[FollowUp | None, list]:
    """The follow-up (or None) and the treated sites the page scores."""
    follow_up_id = id_from_query(request.GET, "follow_up")
    dose_id = id_from_query(request.GET, "dose")
    doses = selectors.doses_visible_to(request.user)
    if follow_up_id is not None:
        follow_up = get_object_or_404(
            selectors.follow_ups_assessable_by(request.user), pk=follow_up_id
        )
        return follow_up, list(doses.filter(visit=follow_up.visit).order_by("id"))
    if dose_id is not None:
        return None, [get_object_or_404(doses, pk=dose_id)]
    raise Http404("Open the patient or the follow-up first, then record the outcome.")


@permission_required("outcomes.add_outcomeassessment", raise_exception=True)
def assessment_record(request: StaffRequest) -> HttpResponse:
    follow_up, doses = _what_to_assess(request)
    if not doses:
        raise Http404("This visit has no treated site to assess.")
    visit = doses[0].visit
    data = request.POST if request.method == "POST" else None
    day_form = AssessmentDayForm(data)
    episode_forms = [EpisodeForm(data, dose=dose, prefix=f"site-{dose.pk}") for dose in doses]
    if data is not None and day_form.is_valid() and all(f.is_valid() for f in episode_forms):
        # From a follow-up, a site left blank is not scored; a single site always is.
        scored = [f for f in episode_forms if not f.is_blank()] if follow_up else episode_forms
        try:
            services.follow_up_assessments_record(
                by=request.user,
                visit=visit,
                assessed_on=day_form.cleaned_data["assessed_on"],
                episodes=[f.answers() for f in scored],
                follow_up=follow_up,
            )
        except ValidationError as error:
            add_service_errors(day_form, error, nested={"episodes": scored})
        else:
            done = " The follow-up is completed." if follow_up else ""
            messages.success(request, f"Outcome recorded for {visit.patient.full_name}.{done}")
            return redirect("patients:detail", pk=visit.patient_id)
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="outcome-record",
        patient_id=visit.patient_id,
        object_id=visit.pk,
        path=request.get_full_path(),
    )
    summaries = {s.dose.pk: s for s in selectors.episodes_of_visit(visit=visit)}
    return render(
        request,
        "outcomes/assessment_form.html",
        {
            "visit": visit,
            "patient": visit.patient,
            "follow_up": follow_up,
            "day_form": day_form,
            "rows": [(form, summaries[form.dose.pk]) for form in episode_forms],
        },
        status=400 if data is not None else 200,
    )


@permission_required("outcomes.view_outcomeassessment", raise_exception=True)
def episode_detail(request: StaffRequest, pk: int) -> HttpResponse:
    dose = get_object_or_404(selectors.doses_visible_to(request.user), pk=pk)
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="episode",
        patient_id=dose.visit.patient_id,
        object_id=dose.pk,
        path=request.path,
    )
    (summary,) = [s for s in selectors.episodes_of_visit(visit=dose.visit) if s.dose.pk == dose.pk]
    context = {
        "dose": dose,
        "patient": dose.visit.patient,
        "summary": summary,
        "assessments": selectors.episode_assessments(dose=dose),
    }
    if request.user.has_perm(services.VOID_PERMISSION):
        context["void_form"] = AssessmentVoidForm()
    return render(request, "outcomes/episode_detail.html", context)


@require_POST
@permission_required(services.VOID_PERMISSION, raise_exception=True)
def assessment_void(request: StaffRequest, pk: int) -> HttpResponse:
    assessment = get_object_or_404(selectors.assessments_visible_to(request.user), pk=pk)
    form = AssessmentVoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Assessment not voided: say why it is voided.")
    else:
        try:
            services.assessment_void(
                by=request.user, assessment=assessment, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, "Assessment not voided: " + " ".join(error.messages))
        else:
            messages.success(request, "Assessment voided. It stays on record, marked as voided.")
    return redirect("outcomes:episode-detail", pk=assessment.dose_id)
