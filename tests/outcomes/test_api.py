"""/api/v1/outcome-assessments/: the same rules as the pages, in the API's error shape;
roles, filters, access log and a constant query count."""

import pytest
from django.utils import timezone

from apps.audit.models import AccessLog
from apps.followups.models import FollowUp, Kind
from apps.outcomes.models import OutcomeAssessment
from tests.builders import assert_nothing_changed, login_api, treated
from tests.factories import FollowUpFactory, OutcomeAssessmentFactory, PatientFactory

pytestmark = pytest.mark.django_db
ASSESSMENTS = "/api/v1/outcome-assessments/"


def _attrs(response) -> dict:
    assert response.status_code == 400, response.content
    return {e["attr"]: e["detail"] for e in response.json()["errors"]}


def test_nurse_records_an_assessment_for_a_follow_up(api_client, nurse, episode):
    follow_up = FollowUpFactory(visit=episode.visit, kind=Kind.OUTCOME)
    login_api(api_client, nurse)
    response = api_client.post(
        ASSESSMENTS,
        {
            "dose": episode.pk,
            "assessed_on": timezone.localdate().isoformat(),
            "pain": 4,
            "pgic": 3,
            "region_score": "55.5",
            "follow_up": follow_up.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["timepoint"], body["region_instrument"], body["source"]) == ("6w", "koos", "staff")
    assert body["patient"] == episode.visit.patient_id
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.COMPLETED


def test_the_rules_answer_with_field_errors(api_client, nurse, hip):
    dose = treated(42, site=hip)
    login_api(api_client, nurse)
    response = api_client.post(
        ASSESSMENTS,
        {
            "dose": dose.pk,
            "assessed_on": timezone.localdate().isoformat(),
            "pain": 12,
            "pgic": 0,
            "percent_better": 120,
            "region_score": "50",
        },
        format="json",
    )
    errors = _attrs(response)
    assert errors["pain"].startswith("Pain is scored from 0 (none) to 10")
    assert errors["pgic"].startswith("Global impression of change is 1")
    assert errors["percent_better"] == "Percent better is from 0 to 100."
    assert errors["region_score"] == "No region score is kept for the hip."
    assert not OutcomeAssessment.objects.exists()


def test_a_dose_the_user_may_not_see_does_not_exist(api_client, front_desk, nurse, episode):
    login_api(api_client, front_desk)
    with assert_nothing_changed():
        assert api_client.post(ASSESSMENTS, {}, format="json").status_code == 403
    assert api_client.get(ASSESSMENTS).status_code == 403
    login_api(api_client, nurse)
    with assert_nothing_changed():
        response = api_client.post(
            ASSESSMENTS,
            {"dose": 999999, "assessed_on": timezone.localdate().isoformat(), "pain": 3},
            format="json",
        )
    assert "dose" in _attrs(response)


def test_list_filters_and_logs(api_client, clinician, episode):
    other = treated(42, patient=PatientFactory())
    OutcomeAssessmentFactory(dose=episode)
    OutcomeAssessmentFactory(dose=other, timepoint="3m")
    login_api(api_client, clinician)
    by_patient = api_client.get(ASSESSMENTS, {"patient": episode.visit.patient_id}).json()
    assert [a["dose"] for a in by_patient["results"]] == [episode.pk]
    by_timepoint = api_client.get(ASSESSMENTS, {"timepoint": "3m"}).json()
    assert [a["dose"] for a in by_timepoint["results"]] == [other.pk]
    assert AccessLog.objects.filter(subject="outcome-assessments").count() == 2


def test_retrieve_is_logged_against_the_patient(api_client, nurse, episode):
    assessment = OutcomeAssessmentFactory(dose=episode)
    login_api(api_client, nurse)
    assert api_client.get(f"{ASSESSMENTS}{assessment.pk}/").json()["pain"] == assessment.pain
    entry = AccessLog.objects.get(subject="outcome-assessment")
    assert entry.patient_id == episode.visit.patient_id


def test_a_clinician_voids_a_nurse_may_not(api_client, clinician, nurse, episode):
    assessment = OutcomeAssessmentFactory(dose=episode)
    void = f"{ASSESSMENTS}{assessment.pk}/void/"
    login_api(api_client, nurse)
    with assert_nothing_changed():
        assert api_client.post(void, {"reason": "typo"}, format="json").status_code == 403
    login_api(api_client, clinician)
    response = api_client.post(void, {"reason": "typo"}, format="json")
    assert response.status_code == 200 and response.json()["void_reason"] == "typo"
    with assert_nothing_changed():
        again = api_client.post(void, {"reason": "typo"}, format="json")
    assert _attrs(again) == {"reason": "This assessment is already voided."}


def test_list_costs_the_same_for_one_and_fifty(api_client, clinician, django_assert_num_queries):
    OutcomeAssessmentFactory()
    login_api(api_client, clinician)
    api_client.get(ASSESSMENTS)  # warm the content-type cache
    # access-log insert, count, the page of assessments with dose, site and visit (the
    # forced user keeps its permissions from the warm-up).
    with django_assert_num_queries(3):
        api_client.get(ASSESSMENTS)
    OutcomeAssessmentFactory.create_batch(49)
    with django_assert_num_queries(3):
        response = api_client.get(ASSESSMENTS)
    assert len(response.json()["results"]) == 50
