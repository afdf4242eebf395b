"""The treatment-site catalogue over REST: sites with their usual dose ranges; the
site services check the ranges."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from apps.accounts.requests import StaffAPIRequest
from apps.treatments import services
from apps.treatments.models import TreatmentSite
from exotrack.api.idempotency import IdempotentCreateMixin


class TreatmentSiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = TreatmentSite
        fields = ["id", *services.SITE_FIELDS]


_SITE_EXAMPLE = {
    "id": 3,
    "name": "Knee",
    "category": "joint",
    "dose_min_billions": "3.00",
    "dose_max_billions": "5.00",
    "default_route": "intra_articular",
    "laterality_applies": True,
    "active": True,
}


@extend_schema_view(
    list=extend_schema(summary="The treatment-site catalogue"),
    retrieve=extend_schema(summary="Read a treatment site"),
    create=extend_schema(
        summary="Add a treatment site (clinic manager)",
        examples=[OpenApiExample("Knee", value=_SITE_EXAMPLE)],
    ),
    update=extend_schema(summary="Change a treatment site (clinic manager)"),
    partial_update=extend_schema(
        summary="Change some fields of a treatment site (clinic manager)",
        examples=[
            OpenApiExample("Retire a site", value={"active": False}, request_only=True),
            OpenApiExample(
                "Widen the range",
                value={"dose_min_billions": "2", "dose_max_billions": "6"},
                request_only=True,
            ),
        ],
    ),
)
class TreatmentSiteViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Sites are retired (active: false), never deleted: doses point at them."""

    request: StaffAPIRequest

    queryset = TreatmentSite.objects.order_by("category", "name")
    serializer_class = TreatmentSiteSerializer
    filterset_fields = ["category", "active"]

    def perform_create(self, serializer) -> None:
        serializer.instance = services.treatment_site_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer) -> None:
        serializer.instance = services.treatment_site_update(
            by=self.request.user, site=serializer.instance, **serializer.validated_data
        )
