from django.urls import path

from apps.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("template.csv", views.import_template, name="template"),
    path(
        "visits-template.csv",
        views.import_template,
        {"kind": "visits"},
        name="visits-template",
    ),
    path("<uuid:pk>/", views.import_detail, name="detail"),
    path("<uuid:pk>/import/", views.import_start, name="start"),
    path("<uuid:pk>/progress/", views.import_progress, name="progress"),
]
