from django.urls import path

from apps.consents import views

app_name = "consents"

urlpatterns = [
    path("forms/", views.form_list, name="form-list"),
    path("forms/new/", views.form_create, name="form-create"),
    path("forms/<int:pk>/", views.form_detail, name="form-detail"),
    path("forms/<int:pk>/new-version/", views.version_create, name="version-create"),
    path("versions/<int:pk>/", views.version_detail, name="version-detail"),
    path("patients/<int:pk>/sign/", views.sign, name="sign"),
    path("patients/<int:pk>/send-link/", views.send_link, name="send-link"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/pdf/", views.pdf, name="pdf"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
