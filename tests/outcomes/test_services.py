"""Recording and voiding outcome assessments: ranges, dates, baseline, follow-ups."""

import datetime
from decimal import Decimal

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.followups.models import FollowUp, Kind
from apps.outcomes.models import OutcomeAssessment, RegionInstrument, Timepoint
from apps.outcomes.services import (
    EpisodeAnswers,
    assessment_record,
    assessment_void,
    follow_up_assessments_record,
)
from apps.patients.models import Patient
from apps.treatments.models import Visit
from tests.builders import treated
from tests.factories import DoseFactory, FollowUpFactory, OutcomeAssessmentFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _record(dose, by, **fields):
    values = {"assessed_on": TODAY(), "pain": 3, **fields}
    return assessment_record(by=by, dose=dose, **values)


def _errors(call) -> dict:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


def test_an_assessment_six_weeks_on_is_the_six_week_timepoint(episode, nurse):
    assessment = _record(episode, nurse, pgic=2, percent_better=40, notes=" walks further ")
    assert assessment.timepoint == Timepoint.WEEK_6
    assert (assessment.pain, assessment.pgic, assessment.percent_better) == (3, 2, 40)
    assert assessment.notes == "walks further"
    assert assessment.source == OutcomeAssessment.Source.STAFF
    assert assessment.created_by == nurse
    event = pghistory.models.Events.objects.filter(pgh_obj_model="outcomes.OutcomeAssessment")
    assert event.get().pgh_context["user"] == nurse.pk


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"pain": 11}, "pain", "Pain is scored from 0 (none) to 10"),
        ({"pain": -1}, "pain", "Pain is scored from 0 (none) to 10"),
        ({"pain": None}, "pain", "Give the pain score"),
        ({"pgic": 0}, "pgic", "1 (very much improved) to 7 (very much worse)"),
        ({"pgic": 8}, "pgic", "1 (very much improved) to 7 (very much worse)"),
        ({"percent_better": 101}, "percent_better", "Percent better is from 0 to 100."),
        ({"region_score": Decimal("100.5")}, "region_score", "KOOS is scored from 0 to 100."),
        ({"region_score": Decimal("-1")}, "region_score", "KOOS is scored from 0 to 100."),
    ],
)
def test_out_of_range_scores_are_refused_by_field(episode, nurse, fields, field, message):
    errors = _errors(lambda: _record(episode, nurse, **fields))
    assert message in errors[field][0]
    assert not OutcomeAssessment.objects.exists()


def test_the_edges_of_every_range_are_accepted(episode, nurse):
    _record(episode, nurse, pain=0, pgic=1, percent_better=0, region_score=Decimal("0"))
    _record(episode, nurse, pain=10, pgic=7, percent_better=100, region_score=Decimal("100"))
    assert OutcomeAssessment.objects.count() == 2


def test_a_knee_keeps_koos_and_a_hip_no_region_score(nurse, hip):
    knee_assessment = _record(treated(42), nurse, region_score=Decimal("62.5"))
    assert knee_assessment.region_instrument == RegionInstrument.KOOS
    errors = _errors(lambda: _record(treated(42, site=hip), nurse, region_score=Decimal("50")))
    assert errors["region_score"] == ["No region score is kept for the hip."]


def test_face_keeps_face_q_and_shoulder_quickdash(nurse, face, shoulder):
    assert _record(treated(42, site=face), nurse, region_score=Decimal(70)).region_instrument == (
        RegionInstrument.FACE_Q
    )
    assert _record(
        treated(42, site=shoulder), nurse, region_score=Decimal(30)
    ).region_instrument == (RegionInstrument.QUICKDASH)


def test_no_region_score_means_no_instrument(episode, nurse):
    assert _record(episode, nurse).region_instrument == RegionInstrument.NONE


def test_dates_before_the_visit_or_in_the_future_are_refused(episode, nurse):
    visit_day = timezone.localdate(episode.visit.visited_at)
    errors = _errors(
        lambda: _record(episode, nurse, assessed_on=visit_day - datetime.timedelta(days=1))
    )
    assert errors["assessed_on"] == [f"The assessment is before the visit ({visit_day:%Y-%m-%d})."]
    errors = _errors(lambda: _record(episode, nurse, assessed_on=TODAY() + datetime.timedelta(1)))
    assert errors["assessed_on"] == ["An assessment cannot be in the future."]


def test_a_voided_visit_takes_no_assessment(episode, nurse, clinician):
    Visit.objects.filter(pk=episode.visit_id).update(
        voided_at=timezone.now(), voided_by=clinician, void_reason="Wrong patient"
    )
    errors = _errors(lambda: _record(episode, nurse))
    assert "voided" in errors["dose"][0]


def test_a_voided_patient_takes_no_assessment(episode, nurse, clinician):
    Patient.objects.filter(pk=episode.visit.patient_id).update(
        voided_at=timezone.now(), voided_by=clinician, void_reason="Duplicate record"
    )
    assert _errors(lambda: _record(episode, nurse)) == {"dose": ["This patient record is voided."]}


def test_baseline_on_the_visit_day_only_when_the_form_had_none(nurse):
    with_form_baseline = treated(0, baseline_pain=6)
    errors = _errors(lambda: _record(with_form_baseline, nurse))
    assert "was taken on the visit form" in errors["pain"][0]

    without = treated(0, baseline_pain=None)
    baseline = _record(without, nurse, pain=7)
    assert baseline.timepoint == Timepoint.BASELINE
    errors = _errors(lambda: _record(without, nurse, pain=6))
    assert errors["pain"] == ["This site already has a baseline assessment."]


def test_a_voided_baseline_may_be_recorded_again(nurse, clinician):
    without = treated(0, baseline_pain=None)
    baseline = _record(without, nurse, pain=7)
    assessment_void(by=clinician, assessment=baseline, reason="Wrong site")
    assert _record(without, nurse, pain=6).timepoint == Timepoint.BASELINE


def test_recording_for_a_follow_up_completes_it(episode, nurse):
    follow_up = FollowUpFactory(visit=episode.visit, kind=Kind.OUTCOME)
    assessment = _record(episode, nurse, follow_up=follow_up)
    follow_up.refresh_from_db()
    assert assessment.follow_up == follow_up
    assert follow_up.status == FollowUp.Status.COMPLETED
    assert follow_up.completed_by == nurse
    assert follow_up.completion_note == "Outcome recorded (Knee)."
    assert follow_up.next_reminder_at is None


def test_scores_from_the_patient_page_answer_the_outcome_follow_up_once_every_site_has_one(
    nurse, shoulder
):
    knee = treated(42)
    other_site = DoseFactory(visit=knee.visit, site=shoulder, baseline_pain=5)
    visit_day = timezone.localdate(knee.visit.visited_at)
    six_weeks = FollowUpFactory(
        visit=knee.visit, kind=Kind.OUTCOME, due_on=visit_day + datetime.timedelta(days=42)
    )
    three_months = FollowUpFactory(
        visit=knee.visit, kind=Kind.OUTCOME, due_on=visit_day + datetime.timedelta(days=91)
    )

    _record(knee, nurse)
    six_weeks.refresh_from_db()
    assert six_weeks.status == FollowUp.Status.PENDING  # the shoulder is not scored yet

    _record(other_site, nurse)
    six_weeks.refresh_from_db()
    three_months.refresh_from_db()
    assert six_weeks.status == FollowUp.Status.COMPLETED
    assert six_weeks.completion_note == "6 weeks outcome recorded for every treated site."
    assert three_months.status == FollowUp.Status.PENDING


def test_a_follow_up_no_longer_pending_or_of_another_visit_is_refused(episode, nurse):
    done = FollowUpFactory(visit=episode.visit, kind=Kind.OUTCOME, status="completed")
    assert _errors(lambda: _record(episode, nurse, follow_up=done))["follow_up"] == [
        "This follow-up is already completed."
    ]
    other = FollowUpFactory(kind=Kind.OUTCOME)
    assert _errors(lambda: _record(episode, nurse, follow_up=other))["follow_up"] == [
        "This follow-up is for another visit."
    ]
    assert not OutcomeAssessment.objects.exists()


def test_several_sites_are_all_or_nothing(nurse, shoulder):
    knee = treated(14)
    other_site = DoseFactory(visit=knee.visit, site=shoulder, baseline_pain=5)
    follow_up = FollowUpFactory(visit=knee.visit, kind=Kind.OUTCOME)
    errors = _errors(
        lambda: follow_up_assessments_record(
            by=nurse,
            visit=knee.visit,
            assessed_on=TODAY(),
            episodes=[EpisodeAnswers(dose=knee, pain=2), EpisodeAnswers(dose=other_site, pain=12)],
            follow_up=follow_up,
        )
    )
    assert list(errors) == ["episodes.1.pain"]
    assert not OutcomeAssessment.objects.exists()
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.PENDING

    saved = follow_up_assessments_record(
        by=nurse,
        visit=knee.visit,
        assessed_on=TODAY(),
        episodes=[EpisodeAnswers(dose=knee, pain=2), EpisodeAnswers(dose=other_site, pain=4)],
        follow_up=follow_up,
    )
    assert [a.timepoint for a in saved] == [Timepoint.WEEK_2, Timepoint.WEEK_2]
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.COMPLETED


def test_a_site_of_another_visit_is_refused(nurse):
    knee = treated(14)
    errors = _errors(
        lambda: follow_up_assessments_record(
            by=nurse,
            visit=knee.visit,
            assessed_on=TODAY(),
            episodes=[EpisodeAnswers(dose=treated(14), pain=2)],
        )
    )
    assert errors["episodes.0.dose"] == ["This treated site is from another visit."]


def test_void_keeps_the_assessment_marked(episode, clinician):
    assessment = OutcomeAssessmentFactory(dose=episode)
    voided = assessment_void(by=clinician, assessment=assessment, reason=" typo ")
    assert voided.is_voided and voided.void_reason == "typo" and voided.voided_by == clinician
    assert _errors(lambda: assessment_void(by=clinician, assessment=assessment, reason="x")) == {
        "reason": ["This assessment is already voided."]
    }


def test_void_needs_a_reason_and_a_clinician(episode, clinician, nurse):
    assessment = OutcomeAssessmentFactory(dose=episode)
    assert _errors(lambda: assessment_void(by=clinician, assessment=assessment, reason=" ")) == {
        "reason": ["Say why the assessment is voided."]
    }
    with pytest.raises(PermissionDenied):
        assessment_void(by=nurse, assessment=assessment, reason="typo")
