"""Clinicians over REST: who may be named responsible for a visit (a visit's `clinician`)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from apps.treatments.selectors import clinicians
from exotrack.api.permissions import requires


class ClinicianSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True, source="__str__", help_text="As pages show it.")


@extend_schema_view(
    list=extend_schema(summary="Active clinicians"),
    retrieve=extend_schema(summary="Read a clinician"),
)
class ClinicianViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ClinicianSerializer
    # Whoever reads or records visits needs the names behind their clinician ids.
    permission_classes = [requires("treatments.view_visit")]

    def get_queryset(self):
        return clinicians()
