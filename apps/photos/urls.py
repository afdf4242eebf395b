from django.urls import path

from apps.photos import views

app_name = "photos"

urlpatterns = [
    path("visits/<int:visit_pk>/add/", views.photo_upload, name="upload"),
    path("<int:pk>/", views.photo_detail, name="detail"),
    path("<int:pk>/image.jpg", views.photo_image, name="image"),
    path("<int:pk>/thumbnail.jpg", views.photo_thumbnail, name="thumbnail"),
    path("<int:pk>/void/", views.photo_void_view, name="void"),
    path("sent/<int:pk>/", views.sent_photo_review, name="sent-review"),
    path("sent/<int:pk>/image.jpg", views.sent_photo_image, name="sent-image"),
    path(
        "patients/<int:patient_pk>/sites/<int:site_pk>/<str:side>/",
        views.site_compare,
        name="compare",
    ),
]
