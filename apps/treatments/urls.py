from django.urls import path

from apps.treatments import views

app_name = "treatments"
urlpatterns = [
    path("visits/", views.visit_list, name="visit-list"),
    path("visits/new/", views.visit_add, name="visit-add"),
    path("visits/scan/", views.vial_scan, name="vial-scan"),
    path("visits/lots/", views.lot_options, name="lot-options"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("visits/<int:pk>/void/", views.visit_void, name="visit-void"),
    path("visits/<int:pk>/sign-off/", views.visit_sign_off, name="visit-sign-off"),
    path("visits/sign-off/", views.sign_off_list, name="sign-off-list"),
    path("sites/", views.site_list, name="site-list"),
    path("sites/new/", views.site_add, name="site-add"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site-edit"),
]
