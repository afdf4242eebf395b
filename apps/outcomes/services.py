"""Writes of outcome assessments. Each runs in one transaction: all or nothing.

The baseline of an episode (one treated site of one visit, a Dose) is the pain taken on
the visit form (Dose.baseline_pain). When the form had none, staff may record a baseline
assessment on the visit day instead, once; it then serves as the baseline. Any other
assessment's timepoint follows from its date (apps/outcomes/timepoints.py)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.accounts.models import User
from apps.followups.models import FollowUp, Kind
from apps.followups.services.scheduling import follow_up_complete
from apps.outcomes.models import OutcomeAssessment, RegionInstrument, Timepoint
from apps.outcomes.rules import region_instrument
from apps.outcomes.timepoints import timepoint_for
from apps.treatments.models import Dose, Visit
from exotrack.history import recorded_by
from exotrack.voiding import void_record

VOID_PERMISSION = "outcomes.change_outcomeassessment"


@dataclass(frozen=True)
class EpisodeAnswers:
    """What was scored for one episode on one day."""

    dose: Dose
    pain: int | None
    pgic: int | None = None
    percent_better: int | None = None
    region_score: Decimal | None = None
    notes: str = ""


def _score_errors(answers: EpisodeAnswers, prefix: str) -> dict[str, str]:
    errors = {}
    if answers.pain is None:
        errors[prefix + "pain"] = "Give the pain score, 0 (none) to 10 (worst imaginable)."
    elif not 0 <= answers.pain <= 10:
        errors[prefix + "pain"] = "Pain is scored from 0 (none) to 10 (worst imaginable)."
    if answers.pgic is not None and not 1 <= answers.pgic <= 7:
        errors[prefix + "pgic"] = (
            "Global impression of change is 1 (very much improved) to 7 (very much worse)."
        )
    if answers.percent_better is not None and not 0 <= answers.percent_better <= 100:
        errors[prefix + "percent_better"] = "Percent better is from 0 to 100."
    if answers.region_score is not None:
        instrument = region_instrument(answers.dose.site)
        if instrument == RegionInstrument.NONE:
            errors[prefix + "region_score"] = (
                f"No region score is kept for the {answers.dose.site.name.lower()}."
            )
        elif not Decimal(0) <= answers.region_score <= Decimal(100):
            label = RegionInstrument(instrument).label.split(" (")[0]
            errors[prefix + "region_score"] = f"{label} is scored from 0 to 100."
    return errors


def _date_errors(*, visit: Visit, assessed_on: datetime.date | None) -> dict[str, str]:
    if visit.is_voided:
        return {"dose": "This visit is voided: its outcomes are no longer recorded."}
    if visit.patient.is_voided:
        return {"dose": "This patient record is voided."}
    if assessed_on is None:
        return {"assessed_on": "Give the day of the assessment."}
    visit_day = timezone.localdate(visit.visited_at)
    if assessed_on < visit_day:
        return {"assessed_on": f"The assessment is before the visit ({visit_day:%Y-%m-%d})."}
    if assessed_on > timezone.localdate():
        return {"assessed_on": "An assessment cannot be in the future."}
    return {}


def _baseline_errors(dose: Dose, prefix: str) -> dict[str, str]:
    """A baseline assessment stands in for the visit form's pain, so only one, and only
    when the form had none."""
    if dose.baseline_pain is not None:
        return {
            prefix + "pain": f"The baseline ({dose.baseline_pain}/10) was taken on the visit "
            "form; record later assessments from the day after the visit."
        }
    if dose.assessments.filter(timepoint=Timepoint.BASELINE, voided_at__isnull=True).exists():
        return {prefix + "pain": "This site already has a baseline assessment."}
    return {}


def _follow_up_errors(follow_up: FollowUp, visit: Visit) -> dict[str, str]:
    if follow_up.visit_id != visit.pk:
        return {"follow_up": "This follow-up is for another visit."}
    if follow_up.status != FollowUp.Status.PENDING:
        return {"follow_up": f"This follow-up is already {follow_up.get_status_display().lower()}."}
    return {}


def follow_up_assessments_record(
    *,
    by: User | None,
    visit: Visit,
    assessed_on: datetime.date,
    episodes: list[EpisodeAnswers],
    source: str = OutcomeAssessment.Source.STAFF,
    follow_up: FollowUp | None = None,
    completion_note: str = "",
) -> list[OutcomeAssessment]:
    """Record one assessment per episode of a visit scored on the same day, and complete
    the follow-up they answer (if any). Errors name `episodes.<n>.<field>`."""
    if not episodes:
        raise ValidationError({"episodes": "Score at least one treated site."})
    if source not in OutcomeAssessment.Source.values:
        raise ValidationError({"source": f"Not a source of assessments: {source}."})
    with transaction.atomic(), recorded_by(by):
        # The visit row first: one assessment round at a time per visit, so two baseline
        # assessments for one site cannot both pass the check.
        visit = (
            Visit.objects.select_for_update(of=("self",)).select_related("patient").get(pk=visit.pk)
        )
        errors: dict[str, str] = _date_errors(visit=visit, assessed_on=assessed_on)
        if follow_up is not None:
            follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
            errors.update(_follow_up_errors(follow_up, visit))
        timepoint = (
            timepoint_for(visit_day=timezone.localdate(visit.visited_at), assessed_on=assessed_on)
            if assessed_on
            else Timepoint.OTHER
        )
        for index, answers in enumerate(episodes):
            prefix = f"episodes.{index}."
            if answers.dose.visit_id != visit.pk:
                errors[prefix + "dose"] = "This treated site is from another visit."
                continue
            errors.update(_score_errors(answers, prefix))
            if timepoint == Timepoint.BASELINE:
                errors.update(_baseline_errors(answers.dose, prefix))
        if errors:
            raise ValidationError(errors)
        assessments = OutcomeAssessment.objects.bulk_create(
            OutcomeAssessment(
                dose=answers.dose,
                assessed_on=assessed_on,
                timepoint=timepoint,
                # Present: `_score_errors` above refuses an episode without a pain score.
                pain=cast(int, answers.pain),
                pgic=answers.pgic,
                percent_better=answers.percent_better,
                region_instrument=region_instrument(answers.dose.site)
                if answers.region_score is not None
                else RegionInstrument.NONE,
                region_score=answers.region_score,
                notes=answers.notes.strip(),
                source=source,
                follow_up=follow_up,
                created_by=by,
            )
            for answers in episodes
        )
        if follow_up is not None:
            sites = ", ".join(a.dose.site.name for a in episodes)
            follow_up_complete(
                follow_up=follow_up,
                by=by,
                note=completion_note or f"Outcome recorded ({sites}).",
            )
        else:
            _answered_outcome_follow_ups_complete(visit=visit, timepoint=timepoint, by=by)
        return assessments


def _answered_outcome_follow_ups_complete(*, visit: Visit, timepoint: str, by: User | None) -> None:
    """Outcomes scored from the patient page answer the visit's pending outcome follow-up
    of the same timepoint once every treated site of the visit has its score, so the
    worklist does not keep asking for what is already measured."""
    if timepoint in (Timepoint.BASELINE, Timepoint.OTHER):
        return
    visit_day = timezone.localdate(visit.visited_at)
    pending = [
        follow_up
        for follow_up in FollowUp.objects.select_for_update().filter(
            visit=visit, kind=Kind.OUTCOME, status=FollowUp.Status.PENDING
        )
        if timepoint_for(visit_day=visit_day, assessed_on=follow_up.due_on) == timepoint
    ]
    if not pending:
        return
    scored = OutcomeAssessment.objects.filter(
        dose=OuterRef("pk"), timepoint=timepoint, voided_at__isnull=True
    )
    if visit.doses.exclude(Exists(scored)).exists():
        return
    label = Timepoint(timepoint).label
    for follow_up in pending:
        follow_up_complete(
            follow_up=follow_up, by=by, note=f"{label} outcome recorded for every treated site."
        )


def assessment_record(
    *,
    by: User,
    dose: Dose,
    assessed_on: datetime.date,
    pain: int | None,
    pgic: int | None = None,
    percent_better: int | None = None,
    region_score: Decimal | None = None,
    notes: str = "",
    source: str = OutcomeAssessment.Source.STAFF,
    follow_up: FollowUp | None = None,
) -> OutcomeAssessment:
    """Record one assessment of one episode. Raises ValidationError naming each field."""
    answers = EpisodeAnswers(
        dose=dose,
        pain=pain,
        pgic=pgic,
        percent_better=percent_better,
        region_score=region_score,
        notes=notes,
    )
    try:
        (assessment,) = follow_up_assessments_record(
            by=by,
            visit=dose.visit,
            assessed_on=assessed_on,
            episodes=[answers],
            source=source,
            follow_up=follow_up,
        )
    except ValidationError as error:
        # One episode: its fields are the assessment's own.
        raise ValidationError(
            {key.removeprefix("episodes.0."): value for key, value in error.error_dict.items()}
        ) from error
    return assessment


def assessment_void(*, by: User, assessment: OutcomeAssessment, reason: str) -> OutcomeAssessment:
    """Void an assessment recorded by mistake; it stays on record, marked, with the reason."""
    return void_record(
        record=assessment,
        by=by,
        reason=reason,
        permission=VOID_PERMISSION,
        noun="assessment",
        refused="Only a clinician can void an assessment.",
    )
