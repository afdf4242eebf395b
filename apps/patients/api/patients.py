"""Patients and their medications over REST. Front-desk accounts get a serializer without
any clinical field; every read of a patient is written to the access log."""

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, ClassVar

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.models import User
from apps.accounts.requests import StaffAPIRequest
from apps.audit.api_mixins import AccessLoggedReadsMixin
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.patients.models import CLINICAL_FIELDS, Medication, MedicationClass, Patient
from apps.patients.selectors import (
    may_see_clinical,
    medications_prefetch,
    patient_medications,
    patient_search,
    patients_matching,
    patients_visible_to,
)
from apps.patients.services import (
    IDENTITY_FIELDS,
    PossibleDuplicate,
    medication_add,
    medication_stop,
    patient_register,
    patient_update,
    patient_void,
)
from exotrack.api.fields import SlugRelatedField
from exotrack.api.hidden_fields import HIDDEN_FIELD_CODE, RefusesHiddenFields
from exotrack.api.idempotency import IdempotentCreateMixin
from exotrack.api.permissions import requires
from exotrack.api.voiding import VoidActionMixin
from exotrack.dates import BIRTH_DATE, START_DATE, ClinicDateFilter, ClinicDateSerializerField

if TYPE_CHECKING:
    # The stubs' type of what get_permissions returns.
    from rest_framework.permissions import _SupportsHasPermission


class MedicationSerializer(serializers.ModelSerializer):
    medication_class = SlugRelatedField(slug_field="code", queryset=MedicationClass.objects.all())
    medication_class_name = serializers.CharField(source="medication_class.name", read_only=True)
    watched = serializers.BooleanField(source="medication_class.watched", read_only=True)

    class Meta:
        model = Medication
        fields = [
            "id",
            "name",
            "medication_class",
            "medication_class_name",
            "watched",
            "dose_text",
            "started_on",
            "stopped_on",
        ]
        read_only_fields = ["stopped_on"]
        extra_kwargs = {"started_on": {"validators": [START_DATE]}}


class MedicationStopSerializer(serializers.Serializer):
    stopped_on = ClinicDateSerializerField()


class PatientIdentitySerializer(RefusesHiddenFields, serializers.ModelSerializer):
    """What the front desk sees and edits: identity and contact, nothing clinical."""

    hidden_fields: ClassVar[Collection[str]] = (*CLINICAL_FIELDS, "medications")

    confirm_duplicate = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Register even though a patient with this name and birth date exists.",
    )

    class Meta:
        model = Patient
        fields = [
            "id",
            "mrn",
            *IDENTITY_FIELDS,
            "email_consent_given_at",
            "email_consent_withdrawn_at",
            "voided_at",
            "void_reason",
            "created_at",
            "updated_at",
            "confirm_duplicate",
        ]
        read_only_fields = [
            "mrn",
            "email_consent_given_at",
            "email_consent_withdrawn_at",
            "voided_at",
            "void_reason",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"date_of_birth": {"validators": [BIRTH_DATE]}}


class PatientClinicalSerializer(PatientIdentitySerializer):
    """Identity plus risk profile and medications, for clinical staff."""

    hidden_fields: ClassVar[Collection[str]] = ()

    medications = MedicationSerializer(many=True, read_only=True)

    class Meta(PatientIdentitySerializer.Meta):
        fields = [*PatientIdentitySerializer.Meta.fields, *CLINICAL_FIELDS, "medications"]


class PatientVoidSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why this patient is voided.")


class PatientFilter(django_filters.FilterSet):
    """The patient list's exact-value parameters, validated and documented here (from the
    model's fields) and answered by selectors.patients_matching, which narrows what the
    list's free-text search (q) found."""

    date_of_birth = ClinicDateFilter()

    class Meta:
        model = Patient
        fields = ["mrn", "date_of_birth", "sex", "preferred_location"]

    def filter_queryset(self, queryset):
        given = self.form.cleaned_data
        location = given["preferred_location"]
        return patients_matching(
            queryset,
            mrn=given["mrn"],
            date_of_birth=given["date_of_birth"],
            sex=given["sex"],
            preferred_location_id=location.pk if location is not None else None,
        )


# Medications are clinical: the front desk never reaches them.
MayReadMedications = requires("patients.view_clinical", "patients.view_medication")
MayAddMedication = requires("patients.view_clinical", "patients.add_medication")
MayStopMedication = requires("patients.view_clinical", "patients.change_medication")


def _clinical_fields_refused_to_the_desk(viewset):
    """Document the front desk's refusal of each clinical field it names."""
    for name in CLINICAL_FIELDS:
        viewset = extend_validation_errors(
            [HIDDEN_FIELD_CODE], field_name=name, actions=["create", "update", "partial_update"]
        )(viewset)
    return viewset


_PATIENT_EXAMPLE = {
    "id": 12,
    "mrn": "EX0000012",
    "first_name": "John",
    "last_name": "Smith",
    "date_of_birth": "1961-04-02",
    "sex": "male",
    "email": "john.smith@example.com",
    "phone": "+1 555 0100",
    "email_consent": True,
    "preferred_location": 1,
    "email_consent_given_at": "2026-11-24T15:02:11Z",
    "email_consent_withdrawn_at": None,
    "voided_at": None,
    "void_reason": "",
    "created_at": "2026-11-24T15:02:11Z",
    "updated_at": "2026-11-24T15:02:11Z",
    "immunocompromised": False,
    "immunocompromised_note": "",
    "cold_sore_history": True,
    "allergies": "Penicillin",
    "conditions": "Osteoarthritis, right knee",
    "medications": [
        {
            "id": 3,
            "name": "Lisinopril",
            "medication_class": "antihypertensive",
            "medication_class_name": "Antihypertensive",
            "watched": True,
            "dose_text": "10 mg once daily",
            "started_on": "2019-05-01",
            "stopped_on": None,
        }
    ],
}
_NEW_PATIENT = {
    "first_name": "John",
    "last_name": "Smith",
    "date_of_birth": "1961-04-02",
    "sex": "male",
    "email": "john.smith@example.com",
    "email_consent": True,
}
_DUPLICATE_ERROR = {
    "type": "validation_error",
    "errors": [
        {
            "code": "possible_duplicate",
            "detail": "A patient with this name and date of birth exists: John Smith "
            "(EX0000012). Send confirm_duplicate: true to register anyway.",
            "attr": "confirm_duplicate",
        }
    ],
}


@extend_validation_errors(
    ["possible_duplicate"], field_name="confirm_duplicate", actions=["create"]
)
@extend_validation_errors(
    ["consent_without_email"], field_name="email", actions=["create", "update", "partial_update"]
)
@_clinical_fields_refused_to_the_desk
@extend_schema_view(
    list=extend_schema(
        summary="Search patients",
        description="Current patients (voided ones only with include_voided). Front-desk "
        "accounts get identity and contact fields only.",
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Name (misspellings forgiven), MRN, date of birth or e-mail.",
                examples=[
                    OpenApiExample("By name", value="Jonh Smiht"),
                    OpenApiExample("By MRN", value="EX0000012"),
                    OpenApiExample("By date of birth", value="1961-04-02"),
                ],
            ),
            OpenApiParameter("include_voided", OpenApiTypes.BOOL),
        ],
        examples=[OpenApiExample("A clinician's view", value=_PATIENT_EXAMPLE)],
    ),
    retrieve=extend_schema(
        summary="Read a patient",
        examples=[OpenApiExample("A clinician's view", value=_PATIENT_EXAMPLE)],
    ),
    create=extend_schema(
        summary="Register a patient",
        description="Answers 400 naming possible duplicates (same name and date of birth) "
        "unless confirm_duplicate is true.",
        examples=[
            OpenApiExample("New patient", value=_NEW_PATIENT, request_only=True),
            OpenApiExample(
                "Registered anyway",
                value={**_NEW_PATIENT, "confirm_duplicate": True},
                request_only=True,
            ),
            OpenApiExample(
                "Possible duplicate",
                value=_DUPLICATE_ERROR,
                response_only=True,
                status_codes=["400"],
            ),
        ],
    ),
    update=extend_schema(summary="Change a patient"),
    void=extend_schema(
        summary="Void a patient registered by mistake",
        request=PatientVoidSerializer,
        responses={200: PatientClinicalSerializer},
        examples=[
            OpenApiExample(
                "Registered twice",
                value={"reason": "Registered twice; the other record is EX0000012."},
                request_only=True,
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change some fields of a patient",
        examples=[
            OpenApiExample(
                "Withdraw e-mail consent", value={"email_consent": False}, request_only=True
            )
        ],
    ),
)
class PatientViewSet(
    IdempotentCreateMixin,
    AccessLoggedReadsMixin,
    VoidActionMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    request: StaffAPIRequest
    queryset = Patient.objects.all()
    filterset_class = PatientFilter
    # Adding a medication creates a record too: a retry with the same key adds it once.
    idempotent_actions = ("create", "add_medication")
    access_log_list_subject = "patient-search"
    access_log_list_action = AccessLog.Action.SEARCH
    access_log_subject = "patient"
    void_permission = "patients.void_patient"
    void_serializer_class = PatientVoidSerializer

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False) or may_see_clinical(self.request.user):
            return PatientClinicalSerializer
        return PatientIdentitySerializer

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            include_voided = self.request.query_params.get("include_voided") in ("true", "1")
            patients = patient_search(
                query=self.request.query_params.get("q", ""),
                user=user,
                include_voided=include_voided,
            )
        else:
            # A voided patient can still be read by id, never changed.
            reading = self.action in ("retrieve", "medications")
            patients = patients_visible_to(user, include_voided=reading)
        if may_see_clinical(user) and user.has_perm("patients.view_medication"):
            patients = patients.prefetch_related(medications_prefetch())
        return patients

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if isinstance(serializer, PatientClinicalSerializer) and not self.request.user.has_perm(
            "patients.view_medication"
        ):
            serializer.fields.pop("medications", None)
        return serializer

    def get_permissions(self) -> Sequence["_SupportsHasPermission"]:
        # Adding shares the medications route, whose permission is the one to read them.
        if self.action == "add_medication":
            return [MayAddMedication()]
        return super().get_permissions()

    def access_log_patient_id(self, patient: Patient) -> int:
        return patient.pk

    def access_log_list_detail(self, request: Request) -> dict:
        return {
            "query": request.query_params.get("q", ""),
            "filters": request.query_params.dict(),
        }

    def perform_create(self, serializer) -> None:
        fields = dict(serializer.validated_data)
        confirm = fields.pop("confirm_duplicate", False)
        try:
            serializer.instance = patient_register(
                by=self.request.user, confirm_duplicate=confirm, **fields
            )
        except PossibleDuplicate as warning:
            raise serializers.ValidationError(
                {
                    "confirm_duplicate": serializers.ErrorDetail(
                        f"{warning} Send confirm_duplicate: true to register anyway.",
                        code="possible_duplicate",
                    )
                }
            ) from warning

    def perform_update(self, serializer) -> None:
        fields = dict(serializer.validated_data)
        fields.pop("confirm_duplicate", None)
        patient_update(by=self.request.user, patient=serializer.instance, **fields)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_void(self, patient: Patient, *, by: User, reason: str) -> None:
        patient_void(by=by, patient=patient, reason=reason)

    def voided_queryset(self):
        # Read back though voided: the answer shows the void.
        return patients_visible_to(self.request.user, include_voided=True)

    @extend_schema(
        summary="A patient's medications",
        responses={200: MedicationSerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get"],
        permission_classes=[MayReadMedications],
        pagination_class=None,
        filterset_class=None,
    )
    def medications(self, request: StaffAPIRequest, pk=None) -> Response:
        patient = self.get_object()
        access_log_record(
            user=request.user,
            action=AccessLog.Action.API_READ,
            subject="medications",
            patient_id=patient.pk,
            path=request.path,
        )
        rows = patient_medications(patient=patient)
        return Response(MedicationSerializer(rows, many=True).data)

    @extend_schema(
        summary="Add a medication",
        request=MedicationSerializer,
        responses={201: MedicationSerializer},
        examples=[
            OpenApiExample(
                "Blood-pressure tablet",
                value={
                    "name": "Lisinopril",
                    "medication_class": "antihypertensive",
                    "dose_text": "10 mg once daily",
                    "started_on": "2019-05-01",
                },
                request_only=True,
            )
        ],
    )
    @medications.mapping.post
    def add_medication(self, request: StaffAPIRequest, pk=None) -> Response:
        patient = self.get_object()
        body = MedicationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        medication = medication_add(by=request.user, patient=patient, **body.validated_data)
        return Response(MedicationSerializer(medication).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Stop a medication",
        request=MedicationStopSerializer,
        responses={200: MedicationSerializer},
        examples=[
            OpenApiExample("Stopped today", value={"stopped_on": "2026-11-24"}, request_only=True)
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"medications/(?P<medication_pk>\d+)/stop",
        permission_classes=[MayStopMedication],
        filterset_class=None,
    )
    def stop_medication(self, request: StaffAPIRequest, pk=None, medication_pk=None) -> Response:
        patient = self.get_object()
        medication = get_object_or_404(Medication, pk=medication_pk, patient=patient)
        body = MedicationStopSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        stopped = medication_stop(by=request.user, medication=medication, **body.validated_data)
        stopped = patient_medications(patient=patient).get(pk=stopped.pk)
        return Response(MedicationSerializer(stopped).data)
