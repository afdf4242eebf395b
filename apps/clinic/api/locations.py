"""Where visits happen, over REST: the ids a visit's `location` names."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from apps.clinic.selectors import all_locations


class LocationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    address = serializers.CharField(read_only=True)
    active = serializers.BooleanField(
        read_only=True, help_text="Closed locations take no new visits."
    )


@extend_schema_view(
    list=extend_schema(summary="The clinic's locations (open ones first)"),
    retrieve=extend_schema(summary="Read a location"),
)
class LocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = LocationSerializer

    def get_queryset(self):
        return all_locations()
