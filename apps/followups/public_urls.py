from django.urls import path

from apps.followups.views import self_reports

app_name = "patient_links"

urlpatterns: list = [
    path("report/<str:token>/", self_reports.self_report, name="self-report"),
]
