from django.urls import path

from apps.clinic import views

app_name = "clinic"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("locations/new/", views.location_edit, name="location-add"),
    path("locations/<int:pk>/", views.location_edit, name="location-edit"),
]
