"""Adverse events over REST. Serializers check shapes; the adverse-event service checks the
clinic's rules, so the API and the pages answer with the same field-level messages."""

from typing import Any, TypedDict

import django_filters
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.models import User
from apps.audit.api_mixins import AccessLoggedReadsMixin
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.followups.models import SelfReport
from apps.patients.models import Patient
from apps.patients.selectors import patients_visible_to
from apps.safety.models import (
    AdverseEvent,
    AdverseEventOutcome,
    AdverseEventType,
    Causality,
    Challenge,
    Seriousness,
)
from apps.safety.selectors import adverse_events as selectors
from apps.safety.services import adverse_events as services
from apps.treatments.models import Visit
from apps.treatments.selectors import visits_visible_to
from exotrack.api.fields import SlugRelatedField
from exotrack.api.filters import number_filter
from exotrack.api.idempotency import IdempotentCreateMixin
from exotrack.api.voiding import VoidActionMixin
from exotrack.dates import ClinicDateFilter, ClinicDateSerializerField

# Ids are PostgreSQL bigints: anything larger is refused as a field error, not a 500.
LARGEST_ID = 2**63 - 1
_GRADES = AdverseEvent._meta.get_field("grade").flatchoices


class _Optional(TypedDict):
    required: bool


class AdverseEventSerializer(serializers.ModelSerializer):
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    event_type = serializers.CharField(source="event_type.code", read_only=True)
    event_type_name = serializers.CharField(source="event_type.name", read_only=True)
    doses = serializers.SerializerMethodField(help_text="Ids of the doses it is linked to.")
    lot_numbers = serializers.SerializerMethodField(help_text="The lots of those doses.")
    serious = serializers.BooleanField(source="is_serious", read_only=True)
    seriousness = serializers.ListField(
        child=serializers.ChoiceField(choices=Seriousness.choices), read_only=True
    )

    class Meta:
        model = AdverseEvent
        fields = [
            "id",
            "patient",
            "patient_mrn",
            "visit",
            "doses",
            "lot_numbers",
            "event_type",
            "event_type_name",
            "description",
            "onset_date",
            "resolution_date",
            "grade",
            "serious",
            "seriousness",
            "outcome",
            "causality",
            "action_taken",
            "abated_on_stopping",
            "recurred_on_reintroduction",
            "weight_kg",
            "narrative",
            "reported_to_manufacturer_on",
            "manufacturer_reference",
            "reported_to_fda_on",
            "fda_reference",
            "safety_contact_notified_at",
            "voided_at",
            "voided_by",
            "void_reason",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_doses(self, event: AdverseEvent) -> list[int]:
        return [dose.pk for dose in event.doses.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_lot_numbers(self, event: AdverseEvent) -> list[str]:
        return list(dict.fromkeys(dose.lot.lot_number for dose in event.doses.all()))


def _details_fields(*, required: bool) -> dict[str, serializers.Field]:
    """The describable fields, shared by create (type, onset, grade required) and partial
    update (nothing required)."""
    optional: _Optional = {"required": False}
    return {
        "event_type": SlugRelatedField(
            slug_field="code",
            queryset=AdverseEventType.objects.all(),
            help_text="The type's code, e.g. cold_sore.",
            required=required,
        ),
        "description": serializers.CharField(max_length=200, allow_blank=True, **optional),
        "onset_date": ClinicDateSerializerField(required=required),
        "resolution_date": ClinicDateSerializerField(allow_null=True, **optional),
        "grade": serializers.ChoiceField(choices=_GRADES, required=required),
        "seriousness": serializers.ListField(
            child=serializers.ChoiceField(choices=Seriousness.choices),
            help_text="FDA criteria met; empty: not serious.",
            **optional,
        ),
        "outcome": serializers.ChoiceField(choices=AdverseEventOutcome.choices, **optional),
        "causality": serializers.ChoiceField(choices=Causality.choices, **optional),
        "action_taken": serializers.CharField(max_length=200, allow_blank=True, **optional),
        "abated_on_stopping": serializers.ChoiceField(choices=Challenge.choices, **optional),
        "recurred_on_reintroduction": serializers.ChoiceField(
            choices=Challenge.choices, **optional
        ),
        "weight_kg": serializers.DecimalField(
            max_digits=5, decimal_places=1, allow_null=True, **optional
        ),
        "narrative": serializers.CharField(allow_blank=True, **optional),
        "reported_to_manufacturer_on": ClinicDateSerializerField(allow_null=True, **optional),
        "manufacturer_reference": serializers.CharField(
            max_length=80, allow_blank=True, **optional
        ),
        "reported_to_fda_on": ClinicDateSerializerField(allow_null=True, **optional),
        "fda_reference": serializers.CharField(max_length=80, allow_blank=True, **optional),
    }


def _dose_ids_field(*, required: bool) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=LARGEST_ID),
        min_length=1,
        required=required,
        help_text="Ids of doses of the visit the event is attributed to.",
    )


class AdverseEventCreateSerializer(serializers.Serializer):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.none())
    visit = serializers.PrimaryKeyRelatedField(queryset=Visit.objects.none())
    self_report = serializers.PrimaryKeyRelatedField(
        queryset=SelfReport.objects.none(),
        required=False,
        allow_null=True,
        help_text="A patient's self-report this event confirms (it is marked confirmed).",
    )

    def get_fields(self) -> dict:
        fields = super().get_fields()
        fields["doses"] = _dose_ids_field(required=True)
        fields.update(_details_fields(required=True))
        user = getattr(self.context.get("request"), "user", None)
        # Rows the user may not see read as "does not exist", as everywhere else.
        # get_fields is typed as answering plain Fields; these three are the related fields
        # declared above, which have a queryset.
        if user is not None:
            patients = patients_visible_to(user)
            fields["patient"].queryset = patients  # type: ignore[attr-defined]
            fields["visit"].queryset = visits_visible_to(user)  # type: ignore[attr-defined]
            fields["self_report"].queryset = SelfReport.objects.filter(  # type: ignore[attr-defined]
                patient__in=patients.values("pk")
            )
        return fields


class AdverseEventUpdateSerializer(serializers.Serializer):
    def get_fields(self) -> dict:
        return {"doses": _dose_ids_field(required=False), **_details_fields(required=False)}


class AdverseEventVoidSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why this event is voided.")


class MedWatchPatientSerializer(serializers.Serializer):
    identifier = serializers.CharField(help_text="The MRN: never the name.")
    age_years = serializers.IntegerField(help_text="Age at onset.")
    date_of_birth = ClinicDateSerializerField()
    sex = serializers.CharField()
    weight_kg = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)


class MedWatchEventSerializer(serializers.Serializer):
    serious = serializers.BooleanField()
    outcomes_attributed = serializers.ListField(child=serializers.CharField())
    event = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    ctcae_grade = serializers.IntegerField()
    onset_date = ClinicDateSerializerField()
    resolution_date = ClinicDateSerializerField(allow_null=True)
    outcome = serializers.CharField()
    causality = serializers.CharField()
    action_taken = serializers.CharField(allow_blank=True)
    narrative = serializers.CharField(allow_blank=True)
    reported_to_manufacturer_on = ClinicDateSerializerField(allow_null=True)
    manufacturer_reference = serializers.CharField(allow_blank=True)
    reported_to_fda_on = ClinicDateSerializerField(allow_null=True)
    fda_reference = serializers.CharField(allow_blank=True)


class MedWatchProductSerializer(serializers.Serializer):
    product = serializers.CharField()
    manufacturer = serializers.CharField()
    regulatory_status = serializers.CharField(allow_blank=True)
    lot_number = serializers.CharField()
    expiry_date = ClinicDateSerializerField()
    dose = serializers.CharField()
    route = serializers.CharField()
    site = serializers.CharField()
    therapy_start = ClinicDateSerializerField()
    therapy_end = ClinicDateSerializerField()


class MedWatchMedicationSerializer(serializers.Serializer):
    name = serializers.CharField()
    dose = serializers.CharField(allow_blank=True)
    started_on = ClinicDateSerializerField(allow_null=True)
    stopped_on = ClinicDateSerializerField(allow_null=True)


class MedWatchProductsSerializer(serializers.Serializer):
    suspect = MedWatchProductSerializer(many=True)
    abated_on_stopping = serializers.CharField()
    recurred_on_reintroduction = serializers.CharField()
    concomitant = MedWatchProductSerializer(
        many=True, help_text="Other products given at the same visit."
    )
    concomitant_medications = MedWatchMedicationSerializer(
        many=True, help_text="Medications the patient was taking at the time."
    )


class MedWatchSerializer(serializers.Serializer):
    event_id = serializers.IntegerField()
    report_date = ClinicDateSerializerField()
    a_patient = MedWatchPatientSerializer()
    b_event = MedWatchEventSerializer()
    c_products = MedWatchProductsSerializer()


class AdverseEventFilter(django_filters.FilterSet):
    """The event list's query parameters, validated and documented here and answered by
    the adverse-event search the safety pages use (selectors.adverse_event_search)."""

    patient = number_filter()
    visit = number_filter()
    lot = django_filters.NumberFilter(help_text="Events linked to a dose from this lot.")
    event_type = django_filters.CharFilter()
    serious = django_filters.BooleanFilter()
    grade = django_filters.TypedChoiceFilter(choices=_GRADES, coerce=int)
    onset_from = ClinicDateFilter()
    onset_to = ClinicDateFilter()

    def filter_queryset(self, queryset):
        given = self.form.cleaned_data
        return selectors.adverse_event_search(
            user=self.request.user,
            patient_id=given["patient"],
            visit_id=given["visit"],
            lot_id=given["lot"],
            event_type_code=given["event_type"],
            serious=given["serious"],
            # An unchosen grade cleans to "", not None.
            grade=given["grade"] or None,
            onset_from=given["onset_from"],
            onset_to=given["onset_to"],
        )


_EVENT = {
    "id": 15,
    "patient": 12,
    "patient_mrn": "EX0000012",
    "visit": 41,
    "doses": [77],
    "lot_numbers": ["KL2611A"],
    "event_type": "cold_sore",
    "event_type_name": "Cold sore / HSV reactivation",
    "description": "",
    "onset_date": "2026-11-26",
    "resolution_date": "2026-12-03",
    "grade": 1,
    "serious": False,
    "seriousness": [],
    "outcome": "recovered",
    "causality": "possible",
    "action_taken": "valacyclovir 2 g twice, one day",
    "abated_on_stopping": "na",
    "recurred_on_reintroduction": "unknown",
    "weight_kg": "68.0",
    "narrative": "",
    "reported_to_manufacturer_on": None,
    "manufacturer_reference": "",
    "reported_to_fda_on": None,
    "fda_reference": "",
    "safety_contact_notified_at": None,
    "voided_at": None,
    "voided_by": None,
    "void_reason": "",
    "created_at": "2026-11-27T14:02:11Z",
    "created_by": 4,
}
_NEW_EVENT = {
    "patient": 12,
    "visit": 41,
    "doses": [77],
    "event_type": "cold_sore",
    "onset_date": "2026-11-26",
    "grade": 1,
    "causality": "possible",
    "action_taken": "valacyclovir 2 g twice, one day",
}
_SERIOUS_EVENT = {
    "patient": 12,
    "visit": 41,
    "doses": [77, 78],
    "event_type": "injection_site_infection",
    "onset_date": "2026-11-27",
    "grade": 3,
    "seriousness": ["hospitalisation"],
    "outcome": "recovering",
    "causality": "probable",
    "action_taken": "IV antibiotics",
    "narrative": "Warm, swollen left knee on day 3; admitted for IV antibiotics.",
}
_ONSET_BEFORE_VISIT = {
    "type": "validation_error",
    "errors": [
        {
            "code": "before_visit",
            "detail": "The onset is before the linked visit (2026-11-24).",
            "attr": "onset_date",
        }
    ],
}
_MEDWATCH = {
    "event_id": 15,
    "report_date": "2026-12-04",
    "a_patient": {
        "identifier": "EX0000012",
        "age_years": 58,
        "date_of_birth": "1968-03-09",
        "sex": "Female",
        "weight_kg": "68.0",
    },
    "b_event": {
        "serious": False,
        "outcomes_attributed": [],
        "event": "Cold sore / HSV reactivation",
        "description": "",
        "ctcae_grade": 1,
        "onset_date": "2026-11-26",
        "resolution_date": "2026-12-03",
        "outcome": "Recovered / resolved",
        "causality": "Possibly related",
        "action_taken": "valacyclovir 2 g twice, one day",
        "narrative": "",
        "reported_to_manufacturer_on": None,
        "manufacturer_reference": "",
        "reported_to_fda_on": None,
        "fda_reference": "",
    },
    "c_products": {
        "suspect": [
            {
                "product": "XoGlo Pro",
                "manufacturer": "Kimera Labs",
                "regulatory_status": "Investigational (IND 012345)",
                "lot_number": "KL2611A",
                "expiry_date": "2027-06-30",
                "dose": "4.00 billion particles, 2.00 mL",
                "route": "Intra-articular",
                "site": "Knee (left)",
                "therapy_start": "2026-11-24",
                "therapy_end": "2026-11-24",
            }
        ],
        "abated_on_stopping": "Doesn't apply",
        "recurred_on_reintroduction": "Unknown",
        "concomitant": [],
        "concomitant_medications": [
            {"name": "Lisinopril", "dose": "10 mg daily", "started_on": None, "stopped_on": None}
        ],
    },
}

# Error codes the adverse-event rules add to the serializers' own (see the service).
_RULE_CODES = {
    "patient": ["patient_voided"],
    "visit": ["other_patient", "visit_voided"],
    "event_type": ["type_retired"],
    "doses": ["required", "not_of_visit"],
    "onset_date": ["in_future", "before_visit"],
    "resolution_date": ["in_future", "before_onset"],
    "reported_to_manufacturer_on": ["in_future", "before_onset", "reference_without_date"],
    "reported_to_fda_on": ["in_future", "before_onset", "reference_without_date"],
    "description": ["description_required"],
    "grade": ["invalid_grade", "grade_5_not_fatal"],
    "outcome": ["fatal_not_grade_5"],
    "seriousness": ["invalid_choice", "fatal_not_serious"],
    "narrative": ["narrative_required"],
    "weight_kg": ["invalid_weight"],
}


def _with_rule_codes(viewset):
    for field_name, codes in _RULE_CODES.items():
        viewset = extend_validation_errors(
            codes, field_name=field_name, actions=["create", "partial_update"]
        )(viewset)
    viewset = extend_validation_errors(
        ["other_patient", "reviewed"], field_name="self_report", actions=["create"]
    )(viewset)
    return extend_validation_errors(
        ["voided"], field_name="non_field_errors", actions=["partial_update"]
    )(viewset)


@_with_rule_codes
@extend_schema_view(
    list=extend_schema(
        summary="Adverse events",
        description="Newest onset first, voided events included (voided_at set). Filter by "
        "patient, visit, lot, event type (code), serious, grade or onset range.",
        examples=[OpenApiExample("An event", value=_EVENT)],
    ),
    retrieve=extend_schema(
        summary="Read an adverse event", examples=[OpenApiExample("An event", value=_EVENT)]
    ),
    create=extend_schema(
        summary="Record an adverse event",
        description="Linked to doses of one visit of the patient (and so to their lots). The "
        "onset is not before the visit nor in the future, a resolution not before the onset; "
        "grade 5 goes with a fatal outcome; a serious event (any seriousness criterion) "
        "needs a narrative and e-mails the clinic's safety contact once, after commit. "
        "With self_report, that self-report is confirmed in the same transaction.",
        request=AdverseEventCreateSerializer,
        responses={201: AdverseEventSerializer},
        examples=[
            OpenApiExample("A cold sore", value=_NEW_EVENT, request_only=True),
            OpenApiExample("A serious infection", value=_SERIOUS_EVENT, request_only=True),
            OpenApiExample(
                "Onset before the visit",
                value=_ONSET_BEFORE_VISIT,
                response_only=True,
                status_codes=["400"],
            ),
        ],
    ),
    void=extend_schema(
        summary="Void an adverse event recorded by mistake (clinicians)",
        description="It stays on record, marked, with the reason.",
        request=AdverseEventVoidSerializer,
        responses={200: AdverseEventSerializer},
        examples=[
            OpenApiExample(
                "Wrong visit",
                value={"reason": "Recorded against the wrong visit."},
                request_only=True,
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Correct an adverse event (clinicians)",
        description="The same rules apply to the event as it would stand. Becoming serious "
        "e-mails the safety contact (once per event).",
        request=AdverseEventUpdateSerializer,
        responses={200: AdverseEventSerializer},
        examples=[
            OpenApiExample(
                "Resolved",
                value={"resolution_date": "2026-12-03", "outcome": "recovered"},
                request_only=True,
            )
        ],
    ),
)
class AdverseEventViewSet(
    IdempotentCreateMixin,
    AccessLoggedReadsMixin,
    VoidActionMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Events are voided with a reason, never deleted."""

    queryset = AdverseEvent.objects.all()
    serializer_class = AdverseEventSerializer
    filterset_class = AdverseEventFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    access_log_list_subject = "adverse-event-search"
    access_log_subject = "adverse-event"
    void_permission = services.CHANGE_PERMISSION
    void_serializer_class = AdverseEventVoidSerializer

    def get_queryset(self):
        return selectors.adverse_events_visible_to(self.request.user)

    def get_serializer_class(self):
        return {
            "create": AdverseEventCreateSerializer,
            "partial_update": AdverseEventUpdateSerializer,
            "medwatch": MedWatchSerializer,
        }.get(self.action, AdverseEventSerializer)

    def _log(self, event: AdverseEvent, *, subject: str, action: str) -> None:
        access_log_record(
            user=self.request.user,
            action=action,
            subject=subject,
            patient_id=event.patient_id,
            object_id=event.pk,
            path=self.request.path,
        )

    def _answer(self, event: AdverseEvent, *, status_code: int = status.HTTP_200_OK) -> Response:
        event = self.get_queryset().get(pk=event.pk)
        return Response(
            AdverseEventSerializer(event, context=self.get_serializer_context()).data,
            status=status_code,
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = AdverseEventCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        event = services.adverse_event_record(by=self.request.user, **serializer.validated_data)
        return self._answer(event, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        event = self.get_object()
        serializer = AdverseEventUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.adverse_event_update(
            by=self.request.user, event=event, **serializer.validated_data
        )
        return self._answer(event)

    def perform_void(self, event: AdverseEvent, *, by: User, reason: str) -> None:
        services.adverse_event_void(by=by, event=event, reason=reason)

    @extend_schema(
        summary="MedWatch data of one event (FDA Form 3500A, sections A-C)",
        description="Patient identified by MRN, age, sex and weight; the event, its dates, "
        "outcome and narrative; the suspect products with manufacturer, lot, expiry, dose, "
        "route and therapy dates, whether the event abated or recurred; other products "
        "given at the visit and medications taken at the time. Logged as an export.",
        responses={200: MedWatchSerializer},
        examples=[OpenApiExample("A cold sore", value=_MEDWATCH)],
    )
    @action(detail=True, methods=["get"])
    def medwatch(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        self._log(event, subject="export:medwatch-api", action=AccessLog.Action.EXPORT)
        return Response(MedWatchSerializer(selectors.medwatch_report(event=event)).data)
