from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from exotrack import health, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (API browser, admin).
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/", include("apps.accounts.urls")),
    # Passkey ceremonies (django-otp-webauthn's JSON endpoints and script catalogue).
    path("webauthn/", include("django_otp_webauthn.urls", namespace="otp_webauthn")),
    path("clinic/", include("apps.clinic.urls")),
    path("patients/", include("apps.patients.urls")),
    path("inventory/", include("apps.inventory.urls")),
    path("treatments/", include("apps.treatments.urls")),
    path("audit/", include("apps.audit.urls")),
    path("safety/", include("apps.safety.urls")),
    path("follow-ups/", include("apps.followups.urls")),
    path("outcomes/", include("apps.outcomes.urls")),
    path("reports/", include("apps.reports.urls")),
    path("imports/", include("apps.imports.urls")),
    path("consents/", include("apps.consents.urls")),
    path("photos/", include("apps.photos.urls")),
    path("injection-maps/", include("apps.injection_maps.urls")),
    # Patients' e-mail links: no sign-in, nothing but what the signed token allows.
    path("p/", include("apps.followups.public_urls")),
    path("p/consent/", include("apps.consents.public_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Split view: its start-up script is a file of its own, so the CSP needs no inline script.
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("api/v1/", include("config.api_urls")),
    path("fhir/R4/", include("apps.fhir.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "exotrack.api.not_found.not_found"
