from django.urls import path

from apps.followups.views import self_reports, unsubscribe

app_name = "patient_links"

urlpatterns: list = [
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("report/<str:token>/", self_reports.self_report, name="self-report"),
]
