"""Every REST route, under /api/v1/. Each app's viewsets are registered here."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from apps.accounts.api.me import MeView
from apps.clinic.api.clinic_profile import ClinicProfileView
from apps.clinic.api.locations import LocationViewSet
from apps.followups.api.follow_ups import FollowUpViewSet, ReminderDeliveryViewSet
from apps.injection_maps.api.injection_maps import InjectionMapViewSet
from apps.inventory.api.lots import LotViewSet
from apps.inventory.api.manufacturers import ManufacturerViewSet
from apps.inventory.api.products import ProductViewSet
from apps.inventory.api.stock_movements import StockMovementViewSet
from apps.outcomes.api.outcome_assessments import OutcomeAssessmentViewSet
from apps.patients.api.patients import PatientViewSet
from apps.reports.api.exports import ReportExportView
from apps.safety.api.adverse_events import AdverseEventViewSet
from apps.safety.api.medication_flags import MedicationFlagViewSet
from apps.safety.api.safety_signals import SafetySignalViewSet
from apps.treatments.api.clinicians import ClinicianViewSet
from apps.treatments.api.treatment_sites import TreatmentSiteViewSet
from apps.treatments.api.visits import VisitViewSet

router = DefaultRouter()
# What an integration needs to record a visit: where, by whom, and who is calling.
router.register("locations", LocationViewSet, basename="location")
router.register("clinicians", ClinicianViewSet, basename="clinician")
router.register("manufacturers", ManufacturerViewSet, basename="manufacturer")
router.register("products", ProductViewSet, basename="product")
# The inventory's lot endpoints, with the recall actions (recall, quarantine, recipients,
# contact-recipients) the safety app adds in its AppConfig.ready().
router.register("lots", LotViewSet, basename="lot")
router.register("stock-movements", StockMovementViewSet, basename="stock-movement")
router.register("patients", PatientViewSet, basename="patient")
router.register("visits", VisitViewSet, basename="visit")
router.register("treatment-sites", TreatmentSiteViewSet, basename="treatment-site")
router.register("adverse-events", AdverseEventViewSet, basename="adverse-event")
router.register("medication-flags", MedicationFlagViewSet, basename="medication-flag")
router.register("follow-ups", FollowUpViewSet, basename="follow-up")
router.register("reminder-deliveries", ReminderDeliveryViewSet, basename="reminder-delivery")
router.register("safety/signals", SafetySignalViewSet, basename="safety-signal")
router.register("outcome-assessments", OutcomeAssessmentViewSet, basename="outcome-assessment")
# A dose's injection map, by the dose's id.
router.register("injection-maps", InjectionMapViewSet, basename="injection-map")

urlpatterns = [
    *router.urls,
    path("me/", MeView.as_view(), name="me"),
    path("clinic/", ClinicProfileView.as_view(), name="clinic-profile"),
    path("reports/exports/<slug:name>.csv", ReportExportView.as_view(), name="report-export"),
]
