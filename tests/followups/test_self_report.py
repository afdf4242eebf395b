"""The patients' self-report link: one transaction per submission, the answers as
assessments and a report, distinct pages for links that cannot be answered, a rate limit
per client address, and nothing about the patient beyond the first name."""

import time

import pytest
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from apps.audit.models import AccessLog
from apps.followups.models import FollowUp, Kind, SelfReport
from apps.followups.services.self_reports import (
    SelfReportAnswers,
    SelfReportUnavailable,
    self_report_submit,
)
from apps.followups.tokens import self_report_token
from apps.outcomes.models import OutcomeAssessment, Timepoint
from apps.safety.models import MedicationFlag
from tests.builders import assert_nothing_changed, treated
from tests.factories import (
    DoseFactory,
    FollowUpFactory,
    MedicationFactory,
    PatientFactory,
    TreatmentSiteFactory,
)

pytestmark = pytest.mark.django_db

ALL_NO = {"cold_sore": "no", "wound_signs": "no", "fever": "no", "dizziness": "no"}


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def follow_up(db):
    """Six weeks after a visit treating both knees, an outcome follow-up is due."""
    patient = PatientFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    knee = treated(42, patient=patient)
    DoseFactory(visit=knee.visit, site=knee.site, laterality="right", baseline_pain=8)
    return FollowUpFactory(visit=knee.visit, kind=Kind.OUTCOME)


def _url(follow_up) -> str:
    return reverse("patient_links:self-report", kwargs={"token": self_report_token(follow_up.pk)})


def _answers(**changes) -> dict:
    return {"pain": "3", "pgic": "2", "percent_better": "40", **ALL_NO, **changes}


def test_the_page_shows_only_the_clinic_and_the_first_name(client, follow_up):
    response = client.get(_url(follow_up))
    assert response.status_code == 200
    assertContains(response, "Hello Ada")
    assertNotContains(response, "Lovelace")
    assertNotContains(response, follow_up.patient.mrn)
    assertNotContains(response, "Knee")
    assertNotContains(response, "ada@example.com")
    # The staff navigation is not part of it.
    assertNotContains(response, "Sign out")
    assert not AccessLog.objects.exists()


def test_a_submission_completes_the_follow_up_and_scores_every_site(client, follow_up):
    response = client.post(_url(follow_up), _answers())
    assert response.status_code == 200
    assertContains(response, "Thank you, Ada")
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.COMPLETED
    assert follow_up.self_report_used_at is not None
    assert follow_up.completion_note == "The patient answered through the self-report link."
    assessments = OutcomeAssessment.objects.order_by("dose_id")
    assert [(a.dose.laterality, a.pain, a.pgic, a.percent_better) for a in assessments] == [
        ("left", 3, 2, 40),
        ("right", 3, 2, 40),
    ]
    assert {a.source for a in assessments} == {OutcomeAssessment.Source.SELF_REPORT}
    assert {a.timepoint for a in assessments} == {Timepoint.WEEK_6}
    report = SelfReport.objects.get()
    assert report.review == SelfReport.Review.NOT_NEEDED
    assert not MedicationFlag.objects.exists()
    assert not AccessLog.objects.exists()


def test_a_yes_waits_for_a_clinician(client, follow_up):
    client.post(_url(follow_up), _answers(cold_sore="yes"))
    report = SelfReport.objects.get()
    assert (report.cold_sore, report.review) == (True, SelfReport.Review.WAITING)


def test_dizziness_raises_a_medication_flag(client, follow_up):
    MedicationFactory(patient=follow_up.patient, name="Lisinopril")
    response = client.post(_url(follow_up), _answers(dizziness="yes"))
    assertContains(response, "A clinician will look at what you told us")
    flag = MedicationFlag.objects.get()
    assert flag.source == MedicationFlag.Source.SELF_REPORT
    assert flag.patient == follow_up.patient
    assert "dizziness on standing" in flag.reason
    assert SelfReport.objects.get().review == SelfReport.Review.WAITING


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"pain": "lots"}, "pain", "Enter a whole number."),
        ({"pain": "11"}, "pain", "Pain is scored from 0 (none) to 10"),
        ({"pain": ""}, "pain", "Please give a number from 0 to 10."),
        ({"pgic": "9"}, "pgic", "Select a valid choice."),
        ({"pgic": ""}, "pgic", "Please choose one answer."),
        ({"percent_better": "150"}, "percent_better", "Percent better is from 0 to 100."),
        ({"fever": ""}, "fever", "Please answer yes or no."),
        ({"dizziness": "maybe"}, "dizziness", "Select a valid choice."),
    ],
)
def test_bad_answers_are_refused_by_question_and_nothing_is_kept(
    client, follow_up, changes, field, message
):
    with assert_nothing_changed():
        response = client.post(_url(follow_up), _answers(**changes))
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.PENDING and follow_up.self_report_used_at is None
    assert not OutcomeAssessment.objects.exists() and not SelfReport.objects.exists()


def test_a_failing_part_leaves_nothing(follow_up, monkeypatch):
    """The flag is raised last: when it fails, assessments, report and completion go too."""
    MedicationFactory(patient=follow_up.patient)

    def refuse(**kwargs):
        raise RuntimeError("flag table unavailable")

    monkeypatch.setattr("apps.followups.services.self_reports.medication_flags_raise", refuse)
    answers = SelfReportAnswers(
        pain=3,
        pgic=2,
        percent_better=None,
        cold_sore=False,
        wound_signs=False,
        fever=False,
        dizziness=True,
    )
    with pytest.raises(RuntimeError):
        self_report_submit(follow_up_id=follow_up.pk, answers=answers)
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.PENDING and follow_up.self_report_used_at is None
    assert not OutcomeAssessment.objects.exists() and not SelfReport.objects.exists()


def test_the_service_refuses_a_second_submission(follow_up):
    answers = SelfReportAnswers(
        pain=3,
        pgic=2,
        percent_better=None,
        cold_sore=False,
        wound_signs=False,
        fever=False,
        dizziness=False,
    )
    self_report_submit(follow_up_id=follow_up.pk, answers=answers)
    with pytest.raises(SelfReportUnavailable) as closed:
        self_report_submit(follow_up_id=follow_up.pk, answers=answers)
    assert closed.value.reason == "used"
    assert OutcomeAssessment.objects.count() == 2


def test_a_used_link_says_so(client, follow_up):
    url = _url(follow_up)
    client.post(url, _answers())
    response = client.get(url)
    assert response.status_code == 410
    assertContains(response, "You have already sent your answers", status_code=410)
    response = client.post(url, _answers(pain="1"))
    assertContains(response, "You have already sent your answers", status_code=410)
    assert OutcomeAssessment.objects.count() == 2


def test_an_expired_link_says_so(client, follow_up, settings, monkeypatch):
    # A link signed 31 days ago, when links work for 30.
    settings.FOLLOWUP_SELF_REPORT_LINK_DAYS = 30
    signed = int(time.time()) - 31 * 86400
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(signed)
    )
    url = _url(follow_up)
    monkeypatch.undo()
    assertContains(client.get(url), "This link has expired", status_code=410)


def test_a_tampered_link_says_so(client, follow_up):
    token = self_report_token(follow_up.pk)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(reverse("patient_links:self-report", kwargs={"token": tampered}))
    assertContains(response, "This link is not recognised", status_code=404)


def test_a_cancelled_follow_up_says_so(client, follow_up):
    FollowUp.objects.filter(pk=follow_up.pk).update(status=FollowUp.Status.CANCELLED)
    assertContains(client.get(_url(follow_up)), "This check-in was cancelled", status_code=410)


@pytest.mark.parametrize("voided", ["visit", "patient"])
def test_a_voided_visit_or_patient_reads_as_cancelled(client, clinician, follow_up, voided):
    record = follow_up.visit if voided == "visit" else follow_up.patient
    type(record).objects.filter(pk=record.pk).update(
        voided_at=timezone.now(), voided_by=clinician, void_reason="Entered by mistake"
    )
    assertContains(client.get(_url(follow_up)), "This check-in was cancelled", status_code=410)


def test_a_follow_up_completed_by_staff_says_so(client, follow_up):
    FollowUp.objects.filter(pk=follow_up.pk).update(status=FollowUp.Status.COMPLETED)
    response = client.get(_url(follow_up))
    assertContains(response, "The clinic already has this check-in", status_code=410)


def test_a_repeat_session_link_is_not_recognised(client):
    follow_up = FollowUpFactory(
        visit=treated(30).visit, kind=Kind.REPEAT_SESSION, site=TreatmentSiteFactory()
    )
    assertContains(client.get(_url(follow_up)), "not recognised", status_code=404)


def test_requests_are_limited_per_client_address(client, follow_up, settings):
    settings.FOLLOWUP_SELF_REPORT_REQUESTS_PER_HOUR = 3
    url = _url(follow_up)
    for _ in range(3):
        assert client.get(url, REMOTE_ADDR="203.0.113.7").status_code == 200
    response = client.get(url, REMOTE_ADDR="203.0.113.7")
    assertContains(response, "Please try again later", status_code=429)
    response = client.post(url, _answers(), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    assert not OutcomeAssessment.objects.exists()
    # Another address is not held back.
    assert client.get(url, REMOTE_ADDR="198.51.100.2").status_code == 200
