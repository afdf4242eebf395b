"""The review page of a patient's self-report: who may read it, confirming (a link to
the adverse-event form) and dismissing with a note, waiting reports only."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from apps.audit.models import AccessLog
from apps.followups.models import Kind, SelfReport
from apps.followups.services.self_reports import self_report_dismiss
from tests.builders import assert_nothing_changed, treated
from tests.factories import FollowUpFactory, OutcomeAssessmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(db):
    dose = treated(14)
    follow_up = FollowUpFactory(visit=dose.visit, kind=Kind.CHECK_IN, status="completed")
    OutcomeAssessmentFactory(dose=dose, follow_up=follow_up, pain=4, source="self_report")
    return SelfReport.objects.create(
        follow_up=follow_up,
        patient=follow_up.patient,
        submitted_at=timezone.now(),
        cold_sore=False,
        wound_signs=True,
        fever=False,
        dizziness=False,
        review=SelfReport.Review.WAITING,
    )


def _url(report) -> str:
    return reverse("followups:self-report", kwargs={"pk": report.pk})


def test_a_clinician_reads_the_answers_and_the_page_is_logged(client, clinician, report):
    client.force_login(clinician)
    page = client.get(_url(report))
    assertContains(page, report.patient.full_name)
    assertContains(page, "Redness, warmth or pus where injected")
    assertContains(page, "4/10")
    assertContains(page, "Dismiss")
    entry = AccessLog.objects.get(subject="self-report")
    assert (entry.user, entry.patient_id, entry.object_id) == (
        clinician,
        report.patient_id,
        report.pk,
    )


def test_the_review_page_s_former_path_leads_to_it(client, clinician, report):
    client.force_login(clinician)
    response = client.get(f"/follow-ups/reports/{report.pk}/")
    assert (response.status_code, response.url) == (302, _url(report))


def test_the_confirm_link_carries_the_visit_and_the_report(client, clinician, report):
    client.force_login(clinician)
    page = client.get(_url(report))
    record = reverse("safety:adverse-event-add")
    visit = report.follow_up.visit_id
    assertContains(page, "Confirm as adverse event")
    assertContains(page, f"{record}?visit={visit}&amp;self_report={report.pk}")


def test_a_clinician_dismisses_with_a_note(client, clinician, report):
    client.force_login(clinician)
    with assert_nothing_changed():
        response = client.post(_url(report), {"note": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["note"] == ["This field is required."]
    response = client.post(_url(report), {"note": "Called her: redness gone next day."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.review == SelfReport.Review.DISMISSED
    assert (report.reviewed_by, report.review_note) == (
        clinician,
        "Called her: redness gone next day.",
    )
    page = client.get(_url(report))
    assertNotContains(page, "Confirm as adverse event")
    assertContains(page, "Dismissed")


def test_a_nurse_reads_but_may_not_dismiss(client, nurse, report):
    client.force_login(nurse)
    page = client.get(_url(report))
    assert page.status_code == 200
    assertNotContains(page, "Dismiss</button>")
    with assert_nothing_changed():
        assert client.post(_url(report), {"note": "fine"}).status_code == 403
    report.refresh_from_db()
    assert report.review == SelfReport.Review.WAITING


@pytest.mark.parametrize("role", ["front_desk", "manager", "outsider"])
def test_others_may_not_read_a_report(client, request, role, report):
    client.force_login(request.getfixturevalue(role))
    assert client.get(_url(report)).status_code == 403


def test_an_unknown_report_is_404(client, clinician):
    client.force_login(clinician)
    assert client.get(reverse("followups:self-report", kwargs={"pk": 999999})).status_code == 404


def test_only_waiting_reports_are_dismissed(clinician, report):
    SelfReport.objects.filter(pk=report.pk).update(review=SelfReport.Review.CONFIRMED)
    with pytest.raises(ValidationError) as refused:
        self_report_dismiss(by=clinician, report=report, note="fine")
    assert "not waiting for review" in refused.value.message_dict["note"][0]


def test_dismissing_needs_a_clinician_and_a_note(clinician, nurse, report):
    with pytest.raises(PermissionDenied):
        self_report_dismiss(by=nurse, report=report, note="fine")
    with pytest.raises(ValidationError) as refused:
        self_report_dismiss(by=clinician, report=report, note="  ")
    assert refused.value.message_dict == {"note": ["Say why nothing is recorded."]}


def test_review_page_costs_the_same_whatever_the_sites(
    client, clinician, report, django_assert_num_queries
):
    client.force_login(clinician)
    client.get(_url(report))  # warm the content-type cache
    # session, user, permissions (2), the report with patient, follow-up, visit and
    # reviewer, access-log insert, groups (header), the scores with their sites.
    with django_assert_num_queries(8):
        client.get(_url(report))
    for _ in range(5):
        OutcomeAssessmentFactory(dose=treated(14), follow_up=report.follow_up, source="self_report")
    with django_assert_num_queries(8):
        client.get(_url(report))
