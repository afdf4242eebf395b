from django.urls import path

from apps.followups.views import patient_reports, rules, worklist

app_name = "followups"

urlpatterns: list = [
    path("", worklist.worklist, name="worklist"),
    path("new/", worklist.follow_up_add, name="follow-up-add"),
    path("<int:pk>/complete/", worklist.follow_up_complete, name="follow-up-complete"),
    path("<int:pk>/reschedule/", worklist.follow_up_reschedule, name="follow-up-reschedule"),
    path("<int:pk>/cancel/", worklist.follow_up_cancel, name="follow-up-cancel"),
    path("reports/<int:pk>/", patient_reports.patient_report, name="patient-report"),
    path("rules/", rules.rule_list, name="rule-list"),
    path("rules/new/", rules.rule_add, name="rule-add"),
    path("rules/<int:pk>/edit/", rules.rule_edit, name="rule-edit"),
    path("rules/<int:pk>/deactivate/", rules.rule_deactivate, name="rule-deactivate"),
]
