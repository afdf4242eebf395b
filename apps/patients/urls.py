from django.urls import path

from apps.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("medication-classes/", views.medication_class_list, name="medication-class-list"),
    path(
        "medication-classes/<int:pk>/",
        views.medication_class_edit,
        name="medication-class-edit",
    ),
    path("new/", views.patient_add, name="add"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/void/", views.patient_void_view, name="void"),
    path("<int:pk>/medications/", views.medication_add_view, name="medication-add"),
    path(
        "<int:pk>/medications/<int:medication_pk>/stop/",
        views.medication_stop_view,
        name="medication-stop",
    ),
]
