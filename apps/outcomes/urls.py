from django.urls import path

from apps.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("record/", views.assessment_record, name="assessment-record"),
    path("episodes/<int:pk>/", views.episode_detail, name="episode-detail"),
    path("assessments/<int:pk>/void/", views.assessment_void, name="assessment-void"),
]
