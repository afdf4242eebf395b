from django.urls import path
from django.views.generic import RedirectView

from apps.followups.views import rules, self_reports, worklist

app_name = "followups"

urlpatterns: list = [
    path("", worklist.worklist, name="worklist"),
    path("new/", worklist.follow_up_add, name="follow-up-add"),
    path("<int:pk>/complete/", worklist.follow_up_complete, name="follow-up-complete"),
    path("<int:pk>/reschedule/", worklist.follow_up_reschedule, name="follow-up-reschedule"),
    path("<int:pk>/cancel/", worklist.follow_up_cancel, name="follow-up-cancel"),
    path("self-reports/<int:pk>/", self_reports.self_report_review, name="self-report"),
    # The review page's path before it was named for the self-report, where bookmarks
    # and browser histories still point.
    path("reports/<int:pk>/", RedirectView.as_view(pattern_name="followups:self-report")),
    path("rules/", rules.rule_list, name="rule-list"),
    path("rules/new/", rules.rule_add, name="rule-add"),
    path("rules/<int:pk>/edit/", rules.rule_edit, name="rule-edit"),
    path("rules/<int:pk>/deactivate/", rules.rule_deactivate, name="rule-deactivate"),
]
