"""Every REST route, under /api/v1/. Each app's viewsets are registered here."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
