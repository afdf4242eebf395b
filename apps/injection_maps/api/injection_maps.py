"""API of injection maps: a dose's points on its diagram, read and replaced whole."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from apps.accounts.requests import StaffAPIRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.injection_maps.selectors import (
    dose_injection_map,
    dose_maps,
    doses_visible_to,
    with_standing_points,
)
from apps.injection_maps.serializers import InjectionPointSerializer, injection_points_field
from apps.injection_maps.services import PointInput, injection_map_save
from apps.treatments.models import Dose
from exotrack.api.permissions import requires

_READ = ("treatments.view_dose", "patients.view_clinical")


class InjectionMapFilter(django_filters.FilterSet):
    visit = django_filters.NumberFilter(field_name="visit_id", help_text="Only this visit's doses.")

    class Meta:
        model = Dose
        fields = ["visit"]


class InjectionMapSerializer(serializers.Serializer):
    dose = serializers.IntegerField(source="dose.pk", read_only=True)
    visit = serializers.IntegerField(source="dose.visit_id", read_only=True)
    site = serializers.CharField(source="dose.site.name", read_only=True)
    diagram = serializers.CharField(source="diagram.key", read_only=True)
    diagram_version = serializers.IntegerField(source="diagram.version", read_only=True)
    diagram_width = serializers.IntegerField(source="diagram.width", read_only=True)
    diagram_height = serializers.IntegerField(source="diagram.height", read_only=True)
    points = InjectionPointSerializer(many=True, read_only=True)


class InjectionMapWriteSerializer(serializers.Serializer):
    points = injection_points_field()


_EXAMPLE = {
    "dose": 12,
    "visit": 7,
    "site": "Knee",
    "diagram": "knee",
    "diagram_version": 1,
    "diagram_width": 200,
    "diagram_height": 240,
    "points": [{"x": "88.0", "y": "104.5", "share_percent": 60}, {"x": "116.0", "y": "98.0"}],
}


class InjectionMapViewSet(viewsets.GenericViewSet):
    """The injection map of one dose (one treated site of a visit), by the dose's id."""

    # Behind authentication and the permission classes the user is signed-in staff.
    request: StaffAPIRequest
    serializer_class = InjectionMapSerializer
    filterset_class = InjectionMapFilter

    def get_queryset(self) -> QuerySet[Dose]:
        return doses_visible_to(self.request.user)

    def get_permissions(self) -> list[BasePermission]:
        if self.action == "update":
            return [requires(*_READ, "injection_maps.add_injectionpoint")()]
        return [requires(*_READ)()]

    @extend_schema(
        summary="Injection maps of doses",
        description="Every dose the caller may see, or only those of one visit.",
    )
    def list(self, request: StaffAPIRequest, *args: Any, **kwargs: Any) -> Response:
        doses = self.filter_queryset(self.get_queryset())
        access_log_record(
            user=request.user,
            action=AccessLog.Action.API_READ,
            subject="injection-maps",
            path=request.get_full_path(),
            detail={"filters": request.query_params.dict()},
        )
        # None only without a paginator, which get_paginated_response refuses anyway.
        page = self.paginate_queryset(with_standing_points(doses)) or []
        return self.get_paginated_response(InjectionMapSerializer(dose_maps(page), many=True).data)

    @extend_schema(
        summary="A dose's injection map",
        examples=[OpenApiExample("A knee with two points", value=_EXAMPLE, response_only=True)],
    )
    def retrieve(self, request: StaffAPIRequest, *args: Any, **kwargs: Any) -> Response:
        dose = self.get_object()
        access_log_record(
            user=request.user,
            action=AccessLog.Action.API_READ,
            subject="injection-map",
            patient_id=dose.visit.patient_id,
            object_id=dose.pk,
            path=request.path,
        )
        return Response(InjectionMapSerializer(dose_injection_map(dose=dose)).data)

    @extend_schema(
        summary="Replace a dose's injection points",
        description="The dose's earlier points are voided (kept in the record) and these "
        "stored, on the diagram of the dose's site. Shares add up to at most 100 %.",
        request=InjectionMapWriteSerializer,
        responses={200: InjectionMapSerializer},
    )
    def update(self, request: StaffAPIRequest, *args: Any, **kwargs: Any) -> Response:
        dose = self.get_object()
        serializer = InjectionMapWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        points = [PointInput(**point) for point in serializer.validated_data["points"]]
        injection_map_save(dose=dose, points=points, by=request.user)
        return Response(InjectionMapSerializer(dose_injection_map(dose=dose)).data)
