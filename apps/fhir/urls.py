from django.urls import path, re_path

from apps.fhir import views

app_name = "fhir"

# Resource types are letters only; ids are FHIR ids ([A-Za-z0-9-.]{1,64}).
urlpatterns = [
    path("metadata", views.Metadata.as_view(), name="metadata"),
    path("Patient/$export", views.PatientExport.as_view(), name="patient-export"),
    path("Group/<int:lot_id>/$export", views.GroupExport.as_view(), name="group-export"),
    path("$export-status/<uuid:export_id>", views.ExportStatus.as_view(), name="export-status"),
    path(
        "$export-file/<uuid:export_id>/<str:file_name>",
        views.ExportFile.as_view(),
        name="export-file",
    ),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]+)$", views.Search.as_view(), name="search"),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]+)/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$",
        views.Read.as_view(),
        name="read",
    ),
    re_path(r"^(?P<path>.*)$", views.Unknown.as_view(), name="unknown"),
]
