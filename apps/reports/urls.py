from django.urls import path

from apps.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_page, name="page"),
    path("exports/<slug:name>.csv", views.export_csv, name="export"),
]
