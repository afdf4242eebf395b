"""Outcome assessments over REST. The serializers check shapes; the outcome service
checks the clinic's rules (ranges, dates, baseline, region score), so the API and the
pages answer alike."""

from typing import cast

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.models import User
from apps.accounts.requests import StaffAPIRequest
from apps.audit.api_mixins import AccessLoggedReadsMixin
from apps.followups.models import FollowUp
from apps.outcomes import selectors, services
from apps.outcomes.models import OutcomeAssessment, Timepoint
from apps.treatments.models import Dose
from exotrack.api.idempotency import IdempotentCreateMixin
from exotrack.api.voiding import VoidActionMixin
from exotrack.dates import ClinicDateSerializerField


class OutcomeAssessmentSerializer(serializers.ModelSerializer):
    patient = serializers.IntegerField(source="dose.visit.patient_id", read_only=True)
    visit = serializers.IntegerField(source="dose.visit_id", read_only=True)
    site_name = serializers.CharField(source="dose.site.name", read_only=True)

    class Meta:
        model = OutcomeAssessment
        fields = [
            "id",
            "dose",
            "visit",
            "patient",
            "site_name",
            "assessed_on",
            "timepoint",
            "pain",
            "pgic",
            "percent_better",
            "region_instrument",
            "region_score",
            "notes",
            "source",
            "follow_up",
            "voided_at",
            "void_reason",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields


class OutcomeAssessmentCreateSerializer(serializers.Serializer):
    dose = serializers.PrimaryKeyRelatedField(
        queryset=Dose.objects.none(), help_text="The episode: one treated site of one visit."
    )
    assessed_on = ClinicDateSerializerField(
        help_text="Not before the visit, not in the future. The timepoint follows from it."
    )
    # Ranges are the service's to check, with the clinic's own wording.
    pain = serializers.IntegerField(help_text="0 (none) to 10 (worst imaginable).")
    pgic = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Global impression of change, 1 (very much improved) to 7 (very much worse).",
    )
    percent_better = serializers.IntegerField(
        required=False, allow_null=True, help_text="0 to 100, as the patient says it."
    )
    region_score = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        required=False,
        allow_null=True,
        help_text="0-100 on the site's instrument (KOOS, QuickDASH, FACE-Q); refused for a "
        "site that keeps none.",
    )
    notes = serializers.CharField(required=False, default="", allow_blank=True)
    follow_up = serializers.PrimaryKeyRelatedField(
        queryset=FollowUp.objects.none(),
        required=False,
        allow_null=True,
        help_text="The pending follow-up this answers; it is completed.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.context.get("request"), "user", None)
        if user is None:  # the schema generator describes the fields without a reader
            return
        # An unseen dose or follow-up reads as "does not exist", as everywhere else.
        dose = cast(serializers.RelatedField, self.fields["dose"])
        follow_up = cast(serializers.RelatedField, self.fields["follow_up"])
        # The stubs' `queryset` type includes a manager, whose `__get__` mypy applies on
        # assignment: the `arg-type` ignores are for that alone.
        dose.queryset = selectors.doses_visible_to(user)  # type: ignore[arg-type]
        follow_up.queryset = selectors.follow_ups_assessable_by(user)  # type: ignore[arg-type]


class AssessmentVoidSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why this assessment is voided.")


class OutcomeAssessmentFilter(django_filters.FilterSet):
    """The assessment list's query parameters, validated and documented here (the field
    names give their documented types) and answered by selectors.assessment_search."""

    dose = django_filters.NumberFilter(field_name="dose_id")
    patient = django_filters.NumberFilter(field_name="dose__visit__patient_id")
    timepoint = django_filters.ChoiceFilter(choices=Timepoint.choices)

    class Meta:
        model = OutcomeAssessment
        fields = ["dose", "patient", "timepoint"]

    def filter_queryset(self, queryset):
        given = self.form.cleaned_data
        return selectors.assessment_search(
            user=self.request.user,
            dose_id=given["dose"],
            patient_id=given["patient"],
            timepoint=given["timepoint"],
        )


_ASSESSMENT_EXAMPLE = {
    "id": 81,
    "dose": 77,
    "visit": 41,
    "patient": 12,
    "site_name": "Knee",
    "assessed_on": "2027-01-05",
    "timepoint": "6w",
    "pain": 3,
    "pgic": 2,
    "percent_better": 40,
    "region_instrument": "koos",
    "region_score": "68.5",
    "notes": "Walks to the shops again.",
    "source": "staff",
    "follow_up": 230,
    "voided_at": None,
    "void_reason": "",
    "created_at": "2027-01-05T15:02:11Z",
    "created_by": 5,
}


@extend_schema_view(
    list=extend_schema(
        summary="Outcome assessments",
        description="Newest first, voided ones included (voided_at set). Filter by dose "
        "(episode), patient or timepoint.",
        examples=[OpenApiExample("An assessment", value=_ASSESSMENT_EXAMPLE)],
    ),
    retrieve=extend_schema(summary="Read an outcome assessment"),
    void=extend_schema(
        summary="Void an assessment recorded by mistake",
        description="Clinicians. It stays on record, marked, with the reason.",
        request=AssessmentVoidSerializer,
        responses={200: OutcomeAssessmentSerializer},
    ),
    create=extend_schema(
        summary="Record an outcome assessment",
        description="The timepoint follows from the days since the visit (2 and 6 weeks, 3, "
        "6 and 12 months, each with a tolerance window; otherwise 'other'). On the visit "
        "day it is the baseline, allowed once and only when the visit form had no baseline "
        "pain. Naming a pending follow-up of the same visit completes it.",
        request=OutcomeAssessmentCreateSerializer,
        responses={201: OutcomeAssessmentSerializer},
        examples=[
            OpenApiExample(
                "Six weeks after a knee",
                value={
                    "dose": 77,
                    "assessed_on": "2027-01-05",
                    "pain": 3,
                    "pgic": 2,
                    "percent_better": 40,
                    "region_score": "68.5",
                },
                request_only=True,
            )
        ],
    ),
)
class OutcomeAssessmentViewSet(
    IdempotentCreateMixin,
    AccessLoggedReadsMixin,
    VoidActionMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    request: StaffAPIRequest
    queryset = OutcomeAssessment.objects.all()
    serializer_class = OutcomeAssessmentSerializer
    filterset_class = OutcomeAssessmentFilter
    access_log_list_subject = "outcome-assessments"
    access_log_subject = "outcome-assessment"
    void_permission = services.VOID_PERMISSION
    void_serializer_class = AssessmentVoidSerializer

    def get_queryset(self):
        return selectors.assessments_visible_to(self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return OutcomeAssessmentCreateSerializer
        return OutcomeAssessmentSerializer

    def access_log_patient_id(self, assessment: OutcomeAssessment) -> int:
        return assessment.dose.visit.patient_id

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = OutcomeAssessmentCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        assessment = services.assessment_record(by=self.request.user, **serializer.validated_data)
        assessment = self.get_queryset().get(pk=assessment.pk)
        return Response(
            OutcomeAssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED
        )

    def perform_void(self, assessment: OutcomeAssessment, *, by: User, reason: str) -> None:
        services.assessment_void(by=by, assessment=assessment, reason=reason)
