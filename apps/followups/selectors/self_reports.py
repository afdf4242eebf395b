"""Reads of what patients reported through their self-report link."""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.followups.models import SelfReport
from apps.outcomes.models import OutcomeAssessment
from apps.patients.selectors import of_visible_patients


def self_reports_visible_to(user: User) -> QuerySet[SelfReport]:
    """Reports of patients this user may open (voided patients too, by link)."""
    if not user.has_perm("followups.view_selfreport"):
        return SelfReport.objects.none()
    return of_visible_patients(SelfReport.objects.all(), user).select_related(
        "patient", "follow_up__visit", "reviewed_by", "adverse_event"
    )


def self_report_scores(report: SelfReport) -> QuerySet[OutcomeAssessment]:
    """The scores the patient gave with the report: one assessment per treated site."""
    return (
        OutcomeAssessment.objects.filter(follow_up_id=report.follow_up_id)
        .select_related("dose__site")
        .order_by("dose_id")
    )
