from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from exotrack import health, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/", include("apps.accounts.urls")),
    path("clinic/", include("apps.clinic.urls")),
    path("patients/", include("apps.patients.urls")),
    path("inventory/", include("apps.inventory.urls")),
    path("treatments/", include("apps.treatments.urls")),
    path("audit/", include("apps.audit.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("config.api_urls")),
    path("admin/", admin.site.urls),
]

handler404 = "exotrack.api.not_found.not_found"
