"""Recall actions on a lot over REST (/lots/{id}/recall/, quarantine/, recipients/,
contact-recipients/), added to the inventory's lot endpoints through the API's resource
registry (see SafetyConfig.ready); the recall services and the recipient selector decide."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.requests import StaffAPIRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.safety.permissions import CONTACT, RECALL, SEE_RECIPIENTS
from apps.safety.selectors.recalls import lot_recipients, patients_read, recipient_columns
from apps.safety.services.recalls import lot_quarantine, lot_recall, lot_recipients_contact
from exotrack.api.fields import UTCDateTimeField
from exotrack.api.permissions import requires

if TYPE_CHECKING:
    from rest_framework.viewsets import GenericViewSet as _ViewSet

    from apps.inventory.models import Lot
else:
    _ViewSet = object


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why: e.g. the manufacturer's recall notice.")


class RecipientSerializer(serializers.Serializer):
    """One dose given from the lot. Contact columns are null without the right to see
    patients' contact details, clinical columns null without the right to see doses."""

    dose = serializers.IntegerField(source="id")
    visit = serializers.IntegerField(source="visit_id")
    visited_at = UTCDateTimeField(source="visit__visited_at")
    patient = serializers.IntegerField(source="visit__patient_id")
    mrn = serializers.CharField(source="visit__patient__mrn")
    last_name = serializers.CharField(source="visit__patient__last_name")
    first_name = serializers.CharField(source="visit__patient__first_name")
    patient_record_voided_at = UTCDateTimeField(source="visit__patient__voided_at", allow_null=True)
    email = serializers.CharField(source="visit__patient__email", allow_null=True, default=None)
    phone = serializers.CharField(source="visit__patient__phone", allow_null=True, default=None)
    site = serializers.CharField(source="site__name", allow_null=True, default=None)
    laterality = serializers.CharField(allow_null=True, default=None)
    billions = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True, default=None
    )
    route = serializers.CharField(allow_null=True, default=None)


class ContactedSerializer(serializers.Serializer):
    created = serializers.IntegerField(
        help_text="Recall calls added now; 0 when everyone is on the worklist already."
    )


_RECALL_REASON = {"reason": "Manufacturer's recall notice 2026-11-24: sterility failure."}


def _status_change(
    viewset: "_ViewSet", request: StaffAPIRequest, change: "Callable[..., Lot]"
) -> Response:
    lot = viewset.get_object()
    body = ReasonSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    change(by=request.user, lot=lot, reason=body.validated_data["reason"])
    return Response(viewset.get_serializer(viewset.get_queryset().get(pk=lot.pk)).data)


class LotRecallActions(_ViewSet):
    """What a recall needs, on the lots as the inventory serves them. Recall and
    quarantine answer with the lot in the lot resource's own serializer."""

    documented_errors = [
        {"error_codes": ["invalid"], "field_name": "status", "actions": ["recall", "quarantine"]},
        {"error_codes": ["invalid"], "field_name": "lot", "actions": ["contact_recipients"]},
    ]

    @extend_schema(
        summary="Recall a lot (clinic manager)",
        description="For good: a recalled lot can never be used again. From available or "
        "quarantined.",
        request=ReasonSerializer,
        examples=[OpenApiExample("Recall notice", value=_RECALL_REASON, request_only=True)],
    )
    @action(detail=True, methods=["post"], permission_classes=[requires(*RECALL)])
    def recall(self, request: StaffAPIRequest, pk: str | None = None) -> Response:
        return _status_change(self, request, lot_recall)

    @extend_schema(
        summary="Quarantine a lot (clinic manager)",
        description="Hold the lot while a question is answered: it cannot be used meanwhile.",
        request=ReasonSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=[requires(*RECALL)])
    def quarantine(self, request: StaffAPIRequest, pk: str | None = None) -> Response:
        return _status_change(self, request, lot_quarantine)

    @extend_schema(
        summary="Everyone who received a lot",
        description="Every dose given from the lot at a visit that stands (voided visits "
        "left out), with its visit and patient, oldest visit first. Paginated.",
        responses={200: RecipientSerializer(many=True)},
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        permission_classes=[requires(*SEE_RECIPIENTS)],
        filterset_class=None,
    )
    def recipients(self, request: StaffAPIRequest, pk: str | None = None) -> Response:
        lot = self.get_object()
        rows = lot_recipients(lot_id=lot.pk, columns=recipient_columns(request.user))
        page = self.paginate_queryset(rows)
        access_log_record(
            user=request.user,
            action=AccessLog.Action.API_READ,
            subject="lot-recipients",
            object_id=lot.pk,
            path=request.get_full_path(),
            detail={"lot_number": lot.lot_number, "patients": patients_read(page or [])},
        )
        return self.get_paginated_response(RecipientSerializer(page, many=True).data)

    @extend_schema(
        summary="Contact all recipients of a lot",
        description="One recall call per patient who received the quarantined or recalled "
        "lot, due today on the follow-up worklist. Pressing again adds only patients not on "
        "it yet.",
        request=None,
        responses={200: ContactedSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="contact-recipients",
        permission_classes=[requires(*CONTACT)],
    )
    def contact_recipients(self, request: StaffAPIRequest, pk: str | None = None) -> Response:
        lot = self.get_object()
        created = lot_recipients_contact(by=request.user, lot=lot)
        return Response({"created": created})
