"""Medication-adjustment flags over REST: the review list, a flag raised by hand, and
the acknowledge and resolve steps. The flag services decide; refusals are 400s naming
the field."""

from typing import Any

import django_filters
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.requests import StaffAPIRequest
from apps.audit.api_mixins import AccessLoggedReadsMixin
from apps.patients.models import Medication
from apps.patients.selectors import patients_visible_to
from apps.safety.models import MedicationFlag
from apps.safety.selectors.medication_flags import TO_REVIEW, flags_overdue, flags_visible_to
from apps.safety.services.medication_flags import (
    medication_flag_acknowledge,
    medication_flag_raise,
    medication_flag_resolve,
)
from exotrack.api.fields import SlugRelatedField
from exotrack.api.idempotency import IdempotentCreateMixin
from exotrack.api.permissions import requires


class MedicationFlagSerializer(serializers.ModelSerializer):
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    medication_name = serializers.CharField(source="medication.name", read_only=True)
    # The class's code, as the patients' medications name it.
    medication_class = SlugRelatedField(slug_field="code", read_only=True)
    medication_class_name = serializers.CharField(source="medication_class.name", read_only=True)
    action = serializers.ChoiceField(
        choices=MedicationFlag.Action.choices,
        allow_blank=True,
        read_only=True,
        help_text="What was done with the medication; blank until resolved.",
    )
    overdue = serializers.SerializerMethodField(
        help_text="Still to review and the review-by date has passed (clinic day)."
    )

    class Meta:
        model = MedicationFlag
        fields = [
            "id",
            "patient",
            "patient_mrn",
            "medication",
            "medication_name",
            "medication_class",
            "medication_class_name",
            "source",
            "visit",
            "reason",
            "review_by",
            "overdue",
            "status",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "action",
            "resolution_note",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields

    def get_overdue(self, flag: MedicationFlag) -> bool:
        return flag.status in TO_REVIEW and flag.review_by < timezone.localdate()


class FlagRaiseSerializer(serializers.Serializer):
    medication = serializers.PrimaryKeyRelatedField(queryset=Medication.objects.none())
    reason = serializers.CharField(help_text="Why this medication needs a review.")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return  # the schema generator: no user, no medications
        # A medication of a patient the user may not see reads as "does not exist".
        # self.fields is typed as holding plain Fields; this is the related field declared
        # above, which has a queryset.
        self.fields["medication"].queryset = Medication.objects.filter(  # type: ignore[attr-defined]
            patient__in=patients_visible_to(request.user).values("pk")
        ).select_related("patient", "medication_class")


class FlagResolveSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=MedicationFlag.Action.choices)
    note = serializers.CharField(required=False, default="", allow_blank=True)


class FlagFilter(django_filters.FilterSet):
    patient = django_filters.NumberFilter(field_name="patient_id")
    status = django_filters.ChoiceFilter(choices=MedicationFlag.Status.choices)
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label="true: still to review past the review-by date; false: every other flag.",
    )

    def filter_overdue(self, queryset, name, value):
        return flags_overdue(queryset, overdue=value, today=timezone.localdate())


# Acknowledge and resolve: clinicians.
MayChangeFlags = requires("safety.view_medicationflag", "safety.change_medicationflag")


_FLAG = {
    "id": 31,
    "patient": 12,
    "patient_mrn": "EX0000012",
    "medication": 40,
    "medication_name": "Lisinopril",
    "medication_class": "antihypertensive",
    "medication_class_name": "Antihypertensive",
    "source": "visit",
    "visit": 41,
    "reason": "Treated on 2026-11-24. Softer arteries may need less blood-pressure "
    "medication: check blood pressure, ask about dizziness on standing, and review the dose "
    "with the prescriber.",
    "review_by": "2026-12-08",
    "overdue": False,
    "status": "resolved",
    "acknowledged_at": "2026-11-25T14:02:11Z",
    "acknowledged_by": 4,
    "resolved_at": "2026-11-26T09:15:40Z",
    "resolved_by": 4,
    "action": "dose_reduced",
    "resolution_note": "Dizzy on standing; 10 mg to 5 mg, prescriber informed.",
    "created_at": "2026-11-24T15:41:07Z",
    "created_by": 5,
}


def _error(attr: str, detail: str) -> dict:
    return {
        "type": "validation_error",
        "errors": [{"code": "invalid", "detail": detail, "attr": attr}],
    }


@extend_validation_errors(["invalid"], field_name="medication", actions=["create"])
@extend_validation_errors(["invalid"], field_name="reason", actions=["create"])
@extend_validation_errors(["invalid"], field_name="status", actions=["acknowledge", "resolve"])
@extend_validation_errors(["invalid"], field_name="action", actions=["resolve"])
@extend_schema_view(
    list=extend_schema(
        summary="Medication flags",
        description="Overdue reviews first, then the soonest review-by date. Every status "
        "unless filtered; `status=open` or `overdue=true` give the review list.",
        examples=[OpenApiExample("A resolved flag", value=_FLAG)],
    ),
    retrieve=extend_schema(summary="Read a medication flag"),
    create=extend_schema(
        summary="Raise a flag for one medication",
        description="Staff judge a medication needs review. Refused while the medication "
        "has a flag that is not resolved.",
        request=FlagRaiseSerializer,
        responses={201: MedicationFlagSerializer},
        examples=[
            OpenApiExample(
                "Patient reports dizziness",
                value={"medication": 40, "reason": "Dizzy on standing since the treatment."},
                request_only=True,
            ),
            OpenApiExample(
                "Already flagged",
                value=_error(
                    "medication", "Lisinopril already has a flag to review, review by 2026-12-08."
                ),
                response_only=True,
                status_codes=["400"],
            ),
        ],
    ),
)
class MedicationFlagViewSet(
    IdempotentCreateMixin,
    AccessLoggedReadsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = MedicationFlag.objects.all()
    serializer_class = MedicationFlagSerializer
    filterset_class = FlagFilter
    access_log_list_subject = "medication-flags"
    access_log_subject = "medication-flag"

    def get_queryset(self):
        return flags_visible_to(self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = FlagRaiseSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        flag = medication_flag_raise(by=self.request.user, **body.validated_data)
        return Response(self._read(flag), status=status.HTTP_201_CREATED)

    def _read(self, flag: MedicationFlag) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=flag.pk)).data

    @extend_schema(
        summary="Acknowledge a flag",
        description="A clinician has seen it and will review. Open flags only.",
        request=None,
        responses={200: MedicationFlagSerializer},
    )
    @action(detail=True, methods=["post"], permission_classes=[MayChangeFlags])
    def acknowledge(self, request: StaffAPIRequest, pk: str | None = None) -> Response:
        flag = self.get_object()
        medication_flag_acknowledge(by=request.user, flag=flag)
        return Response(self._read(flag))

    @extend_schema(
        summary="Resolve a flag",
        description="The action taken on the medication, and a note. From open or acknowledged.",
        request=FlagResolveSerializer,
        responses={200: MedicationFlagSerializer},
        examples=[
            OpenApiExample(
                "Dose reduced",
                value={"action": "dose_reduced", "note": "10 mg to 5 mg, prescriber informed."},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"], permission_classes=[MayChangeFlags])
    def resolve(self, request: StaffAPIRequest, pk: str | None = None) -> Response:
        flag = self.get_object()
        body = FlagResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        medication_flag_resolve(by=request.user, flag=flag, **body.validated_data)
        return Response(self._read(flag))
