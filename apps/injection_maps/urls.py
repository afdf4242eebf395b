from django.urls import path

from apps.injection_maps import views

app_name = "injection_maps"

urlpatterns = [
    path("visits/<int:visit_pk>/", views.map_edit, name="edit"),
    path("visits/<int:visit_pk>/print/", views.map_print, name="print"),
]
