"""Staff pages of outcomes: recording from a treated site or a follow-up, the episode
page, voiding, the patient page's Outcomes section; roles and query counts."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from apps.audit.models import AccessLog
from apps.followups.models import FollowUp, Kind
from apps.outcomes.models import OutcomeAssessment, Timepoint
from tests.builders import assert_nothing_changed, treated
from tests.factories import DoseFactory, FollowUpFactory, OutcomeAssessmentFactory

pytestmark = pytest.mark.django_db

RECORD = reverse("outcomes:assessment-record")


def _today() -> str:
    return timezone.localdate().isoformat()


def test_nurse_records_an_outcome_for_one_site(client, nurse, episode):
    client.force_login(nurse)
    page = client.get(f"{RECORD}?dose={episode.pk}")
    assertContains(page, "Baseline: 6/10 (visit form)")
    assertContains(page, "KOOS score (0-100)")
    response = client.post(
        f"{RECORD}?dose={episode.pk}",
        {
            "assessed_on": _today(),
            f"site-{episode.pk}-pain": "3",
            f"site-{episode.pk}-pgic": "2",
            f"site-{episode.pk}-percent_better": "50",
            f"site-{episode.pk}-region_score": "71.5",
        },
    )
    assert response.status_code == 302
    assessment = OutcomeAssessment.objects.get()
    assert (assessment.timepoint, assessment.pain, assessment.region_score) == (
        Timepoint.WEEK_6,
        3,
        Decimal("71.5"),
    )
    entry = AccessLog.objects.get(subject="outcome-record")
    assert entry.patient_id == episode.visit.patient_id


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("eleven", "Enter a whole number."),
        ("11", "Pain is scored from 0 (none) to 10"),
        ("", "Give the pain score"),
    ],
)
def test_bad_pain_is_refused_next_to_the_field(client, nurse, episode, value, message):
    client.force_login(nurse)
    with assert_nothing_changed():
        response = client.post(
            f"{RECORD}?dose={episode.pk}",
            {"assessed_on": _today(), f"site-{episode.pk}-pain": value},
        )
    assert response.status_code == 400
    assert message in response.context["rows"][0][0].errors["pain"][0]
    assert not OutcomeAssessment.objects.exists()


def test_a_future_day_is_refused_next_to_the_day(client, nurse, episode):
    client.force_login(nurse)
    tomorrow = timezone.localdate() + timezone.timedelta(days=1)
    response = client.post(
        f"{RECORD}?dose={episode.pk}",
        {"assessed_on": tomorrow.isoformat(), f"site-{episode.pk}-pain": "3"},
    )
    assert response.context["day_form"].errors["assessed_on"] == [
        "An assessment cannot be in the future."
    ]


def test_a_hip_has_no_region_score_field(client, nurse, hip):
    dose = treated(42, site=hip)
    client.force_login(nurse)
    page = client.get(f"{RECORD}?dose={dose.pk}")
    assert "region_score" not in page.context["rows"][0][0].fields


def test_from_a_follow_up_every_site_is_offered_and_saving_completes_it(client, nurse, shoulder):
    knee = treated(42)
    other = DoseFactory(visit=knee.visit, site=shoulder, baseline_pain=4)
    follow_up = FollowUpFactory(visit=knee.visit, kind=Kind.OUTCOME)
    client.force_login(nurse)
    url = f"{RECORD}?follow_up={follow_up.pk}"
    page = client.get(url)
    assert [row[0].dose for row in page.context["rows"]] == [knee, other]
    # The shoulder is left blank: only the knee is scored.
    response = client.post(url, {"assessed_on": _today(), f"site-{knee.pk}-pain": "2"})
    assert response.status_code == 302
    assert list(OutcomeAssessment.objects.values_list("dose", "follow_up")) == [
        (knee.pk, follow_up.pk)
    ]
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.COMPLETED


def test_from_a_follow_up_at_least_one_site_is_scored(client, nurse, episode):
    follow_up = FollowUpFactory(visit=episode.visit, kind=Kind.OUTCOME)
    client.force_login(nurse)
    response = client.post(f"{RECORD}?follow_up={follow_up.pk}", {"assessed_on": _today()})
    assert response.context["day_form"].non_field_errors() == ["Score at least one treated site."]


def test_a_completed_follow_up_says_so(client, nurse, episode):
    follow_up = FollowUpFactory(visit=episode.visit, kind=Kind.OUTCOME, status="completed")
    client.force_login(nurse)
    url = f"{RECORD}?follow_up={follow_up.pk}"
    assertContains(client.get(url), "This follow-up is already completed.")
    with assert_nothing_changed():
        response = client.post(url, {"assessed_on": _today(), f"site-{episode.pk}-pain": "2"})
    assert response.status_code == 400
    assert not OutcomeAssessment.objects.exists()


@pytest.mark.parametrize("query", ["", "?dose=abc", "?dose=999999", "?follow_up=999999"])
def test_nothing_to_assess_is_404(client, nurse, query):
    client.force_login(nurse)
    assert client.get(RECORD + query).status_code == 404


def test_a_recall_contact_is_not_answered_with_an_outcome(client, nurse, episode):
    follow_up = FollowUpFactory(visit=episode.visit, kind=Kind.REPEAT_SESSION)
    client.force_login(nurse)
    assert client.get(f"{RECORD}?follow_up={follow_up.pk}").status_code == 404


@pytest.mark.parametrize("role", ["front_desk", "manager", "outsider"])
def test_only_clinical_staff_record(client, request, role, episode):
    client.force_login(request.getfixturevalue(role))
    assert client.get(f"{RECORD}?dose={episode.pk}").status_code == 403


def test_episode_page_shows_timepoints_and_a_clinician_voids(client, clinician, episode):
    OutcomeAssessmentFactory(dose=episode, pain=4)  # 6 weeks, exactly 2 points down
    client.force_login(clinician)
    url = reverse("outcomes:episode-detail", args=[episode.pk])
    page = client.get(url)
    assertContains(page, "Responder")
    assert page.context["summary"].results[0].change == -2
    assessment = OutcomeAssessment.objects.get()
    void = reverse("outcomes:assessment-void", args=[assessment.pk])
    assert client.post(void, {"reason": ""}).status_code == 302
    assessment.refresh_from_db()
    assert not assessment.is_voided
    assert client.post(void, {"reason": "Wrong knee"}).status_code == 302
    assessment.refresh_from_db()
    assert assessment.void_reason == "Wrong knee"
    assertContains(client.get(url), "No assessment after the baseline yet.")


def test_a_nurse_reads_the_episode_but_may_not_void(client, nurse, episode):
    assessment = OutcomeAssessmentFactory(dose=episode)
    client.force_login(nurse)
    page = client.get(reverse("outcomes:episode-detail", args=[episode.pk]))
    assertNotContains(page, 'name="reason"')
    void = reverse("outcomes:assessment-void", args=[assessment.pk])
    with assert_nothing_changed():
        assert client.post(void, {"reason": "x"}).status_code == 403


def test_front_desk_may_not_read_an_episode(client, front_desk, episode):
    client.force_login(front_desk)
    assert client.get(reverse("outcomes:episode-detail", args=[episode.pk])).status_code == 403


def test_patient_page_lists_outcomes_for_clinical_staff_only(client, nurse, front_desk, episode):
    OutcomeAssessmentFactory(dose=episode, pain=5)
    url = reverse("patients:detail", args=[episode.visit.patient_id])
    client.force_login(nurse)
    page = client.get(url)
    assertContains(page, "Outcomes")
    assertContains(page, f"{RECORD}?dose={episode.pk}")
    (summary,) = page.context["outcome_episodes"]
    assert (summary.baseline, summary.latest.assessment.pain, summary.latest.responder) == (
        6,
        5,
        False,
    )
    client.force_login(front_desk)
    assert "outcome_episodes" not in client.get(url).context


def test_episode_page_costs_the_same_for_one_and_many_assessments(
    client, clinician, episode, django_assert_num_queries
):
    OutcomeAssessmentFactory(dose=episode)
    client.force_login(clinician)
    url = reverse("outcomes:episode-detail", args=[episode.pk])
    client.get(url)  # warm the content-type cache
    # session, user, permissions (2), the dose with site, visit and patient, access-log
    # insert, the visit's sites, their assessments, groups (header), every assessment of
    # the site.
    with django_assert_num_queries(10):
        client.get(url)
    OutcomeAssessmentFactory.create_batch(30, dose=episode)
    with django_assert_num_queries(10):
        client.get(url)
