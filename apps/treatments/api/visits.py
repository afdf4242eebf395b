"""Visits over REST. Serializers check shapes; the visit service checks the clinic's
rules, so the API and the pages answer alike."""

from collections.abc import Mapping
from typing import cast

import django_filters
from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
)
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.models import User
from apps.accounts.requests import StaffAPIRequest
from apps.audit.api_mixins import AccessLoggedReadsMixin
from apps.clinic.models import Location
from apps.injection_maps.selectors import with_doses_standing_points
from apps.injection_maps.serializers import injection_points_field
from apps.injection_maps.services import (
    MAX_POINTS_PER_DOSE,
    REFUSED_CODE,
    PointInput,
    new_visit_points_check,
    new_visit_points_record,
)
from apps.inventory.models import Lot
from apps.patients.models import Patient
from apps.patients.selectors import patients_visible_to
from apps.treatments import selectors, services
from apps.treatments.models import (
    Dose,
    Laterality,
    Route,
    TreatmentSite,
    VialsOpened,
    Visit,
    VisitWarning,
)
from exotrack.api.filters import number_filter
from exotrack.api.idempotency import IdempotentCreateMixin
from exotrack.api.parsers import JSONParser
from exotrack.api.permissions import requires
from exotrack.api.voiding import VoidActionMixin
from exotrack.dates import ClinicDateFilter, ClinicDateSerializerField

# Named once in the schema (settings ENUM_NAME_OVERRIDES), wherever a warning code appears.
WARNING_CODES = VisitWarning.Code.choices


class DoseSerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(source="site.name", read_only=True)
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True)
    lot_expiry_date = ClinicDateSerializerField(source="lot.expiry_date", read_only=True)
    product = serializers.CharField(source="lot.product.name", read_only=True)
    manufacturer = serializers.CharField(source="lot.product.manufacturer.name", read_only=True)
    # Prefetched by `_with_points` (the points not voided by a redrawn map).
    injection_points = injection_points_field(
        source="standing_points",
        read_only=True,
        help_text="Where on the site's diagram the dose went (its injection map), in the "
        "diagram's units; GET /api/v1/injection-maps/{dose id}/ names the diagram.",
    )

    class Meta:
        model = Dose
        fields = [
            "id",
            "site",
            "site_name",
            "laterality",
            "lot",
            "lot_number",
            "lot_expiry_date",
            "product",
            "manufacturer",
            "billions",
            "route",
            "volume_ml",
            "baseline_pain",
            "injection_points",
        ]


class VisitWarningSerializer(serializers.ModelSerializer):
    class Meta:
        model = VisitWarning
        fields = ["code", "message", "reason", "acknowledged_by", "acknowledged_at"]


class VialsOpenedSerializer(serializers.ModelSerializer):
    returned_to_stock = serializers.SerializerMethodField()

    class Meta:
        model = VialsOpened
        fields = ["lot", "vials", "movement", "returned_to_stock"]

    def get_returned_to_stock(self, row: VialsOpened) -> bool:
        return row.returned_id is not None


class VisitSerializer(serializers.ModelSerializer):
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    location_name = serializers.CharField(source="location.name", read_only=True)
    doses = DoseSerializer(many=True, read_only=True)
    warnings = VisitWarningSerializer(many=True, read_only=True)
    vials_opened = VialsOpenedSerializer(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "patient",
            "patient_mrn",
            "visited_at",
            "location",
            "location_name",
            "clinician",
            "indication",
            "consent_recorded",
            "consent_form_version",
            "cold_sore_prophylaxis",
            "notes",
            "doses",
            "warnings",
            "vials_opened",
            "sign_off",
            "chart_review",
            "signed_off_by",
            "signed_off_at",
            "sign_off_note",
            "voided_at",
            "voided_by",
            "void_reason",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields


class DoseInputSerializer(serializers.Serializer):
    site = serializers.PrimaryKeyRelatedField(queryset=TreatmentSite.objects.all())
    laterality = serializers.ChoiceField(
        choices=Laterality.choices, default=Laterality.NOT_APPLICABLE
    )
    lot = serializers.PrimaryKeyRelatedField(queryset=Lot.objects.all())
    billions = serializers.DecimalField(max_digits=8, decimal_places=2)
    route = serializers.ChoiceField(
        choices=Route.choices, required=False, help_text="Blank: the site's usual route."
    )
    volume_ml = serializers.DecimalField(
        max_digits=6, decimal_places=2, required=False, allow_null=True
    )
    baseline_pain = serializers.IntegerField(
        min_value=0, max_value=10, required=False, allow_null=True
    )
    injection_points = injection_points_field(
        required=False,
        default=list,
        help_text=f"Where on the site's diagram the dose went, in the diagram's units "
        f"(see the injection-map resource): at most {MAX_POINTS_PER_DOSE} points, their "
        "shares adding up to at most 100 %.",
    )


class AcknowledgementSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=WARNING_CODES)
    reason = serializers.CharField()


class VisitCreateSerializer(serializers.Serializer):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.none())
    visited_at = serializers.DateTimeField()
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    clinician = serializers.PrimaryKeyRelatedField(queryset=selectors.clinicians())
    indication = serializers.CharField(max_length=200)
    consent_recorded = serializers.BooleanField(default=False)
    consent_form_version = serializers.CharField(max_length=40, required=False, default="")
    cold_sore_prophylaxis = serializers.BooleanField(default=False)
    notes = serializers.CharField(required=False, default="", allow_blank=True)
    doses = DoseInputSerializer(many=True, allow_empty=False)
    acknowledgements = AcknowledgementSerializer(many=True, required=False, default=list)
    save_for_sign_off = serializers.BooleanField(
        default=False,
        help_text="For staff who may not acknowledge warnings (nurses): save the visit "
        "awaiting a clinician's sign-off instead of refusing it. Stock is taken and "
        "follow-ups are scheduled as usual.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        # An unseen patient reads as "does not exist", as everywhere else.
        patient = cast(serializers.RelatedField, self.fields["patient"])
        clinician = cast(serializers.RelatedField, self.fields["clinician"])
        # The stubs' `queryset` type includes a manager, whose `__get__` mypy applies on
        # assignment: the `arg-type` ignores are for that alone.
        patient.queryset = (  # type: ignore[arg-type]
            patients_visible_to(user) if user is not None else Patient.objects.none()
        )
        clinician.queryset = selectors.clinicians()  # type: ignore[arg-type]

    def to_internal_value(self, data):
        # Before any dose row is validated: each costs lookups.
        doses = data.get("doses") if isinstance(data, Mapping) else None
        if isinstance(doses, list) and len(doses) > services.max_sites_per_visit():
            error = services.too_many_sites_error()
            raise serializers.ValidationError(
                {"doses": [ErrorDetail(str(error.message), error.code)]}
            )
        return super().to_internal_value(data)


class VisitSignOffSerializer(serializers.Serializer):
    acknowledgements = AcknowledgementSerializer(
        many=True,
        required=False,
        default=list,
        help_text="A reason for each warning the visit carries that is not yet acknowledged.",
    )
    note = serializers.CharField(required=False, default="", allow_blank=True)


class VisitVoidSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why this visit is voided.")


def _with_points(visits: QuerySet[Visit]) -> QuerySet[Visit]:
    """What the visit serializer reads beyond the visit search: vials opened, and each
    dose's injection points (one query each, whatever the number of visits)."""
    return with_doses_standing_points(visits.prefetch_related("vials_opened"))


class VisitFilter(django_filters.FilterSet):
    """The visit list's query parameters, validated and documented here and answered by
    the visit search the visits page uses (selectors.visit_search)."""

    patient = number_filter()
    date_from = ClinicDateFilter()
    date_to = ClinicDateFilter()
    clinician = number_filter()
    location = number_filter()
    lot = django_filters.NumberFilter()
    sign_off = django_filters.ChoiceFilter(
        choices=Visit.SignOff.choices,
        method="by_sign_off",
        help_text="`awaiting`: the sign-off list (voided visits left out).",
    )

    def by_sign_off(self, queryset, name, value):
        # Applied in filter_queryset below, after the search.
        return queryset

    def filter_queryset(self, queryset):
        given = self.form.cleaned_data
        visits = selectors.visit_search(
            user=self.request.user,
            patient_id=given["patient"],
            date_from=given["date_from"],
            date_to=given["date_to"],
            clinician_id=given["clinician"],
            location_id=given["location"],
            lot_id=given["lot"],
        )
        visits = _with_points(visits)
        if given.get("sign_off"):
            visits = selectors.visits_in_sign_off_state(visits, given["sign_off"])
        return visits


_VISIT_EXAMPLE = {
    "id": 41,
    "patient": 12,
    "patient_mrn": "EX0000012",
    "visited_at": "2026-11-24T15:30:00Z",
    "location": 1,
    "location_name": "Main clinic",
    "clinician": 4,
    "indication": "Osteoarthritis, both knees",
    "consent_recorded": True,
    "consent_form_version": "v3",
    "cold_sore_prophylaxis": False,
    "notes": "",
    "doses": [
        {
            "id": 77,
            "site": 3,
            "site_name": "Knee",
            "laterality": "left",
            "lot": 9,
            "lot_number": "KL2611A",
            "lot_expiry_date": "2027-06-30",
            "product": "XoGlo Pro",
            "manufacturer": "Kimera Labs",
            "billions": "4.00",
            "route": "intra_articular",
            "volume_ml": "2.00",
            "baseline_pain": 6,
            "injection_points": [
                {"x": "88.0", "y": "104.5", "share_percent": 60},
                {"x": "116.0", "y": "98.0", "share_percent": 40},
            ],
        }
    ],
    "warnings": [],
    "vials_opened": [{"lot": 9, "vials": 1, "movement": 310, "returned_to_stock": False}],
    "sign_off": "not_needed",
    "chart_review": False,
    "signed_off_by": None,
    "signed_off_at": None,
    "sign_off_note": "",
    "voided_at": None,
    "voided_by": None,
    "void_reason": "",
    "created_at": "2026-11-24T15:41:07Z",
    "created_by": 5,
}
_NEW_VISIT = {
    "patient": 12,
    "visited_at": "2026-11-24T10:30:00-05:00",
    "location": 1,
    "clinician": 4,
    "indication": "Osteoarthritis, both knees",
    "consent_recorded": True,
    "consent_form_version": "v3",
    "doses": [
        {
            "site": 3,
            "laterality": "left",
            "lot": 9,
            "billions": "4",
            "baseline_pain": 6,
            "injection_points": [
                {"x": "88", "y": "104.5", "share_percent": 60},
                {"x": "116", "y": "98"},
            ],
        },
        {"site": 3, "laterality": "right", "lot": 9, "billions": "8"},
    ],
    "acknowledgements": [
        {"code": "dose_out_of_range", "reason": "Severe damage on imaging; discussed with patient."}
    ],
}
_UNACKNOWLEDGED = {
    "type": "validation_error",
    "errors": [
        {
            "code": "dose_out_of_range",
            "detail": "Knee (right): 8 bn is outside its usual 3-5 bn.",
            "attr": "acknowledgements",
        }
    ],
}
_LOT_EXPIRED = {
    "type": "validation_error",
    "errors": [
        {
            "code": "lot_unusable",
            "detail": "Lot KL2511C expired on 2026-11-01.",
            "attr": "doses.0.lot",
        }
    ],
}


# Error codes the visit rules add to the serializers' own (see services.visit_record).
_VISIT_RULE_CODES = {
    # A null list is reported on the list itself (as for doses below).
    "acknowledgements": [*VisitWarning.Code.values, "null"],
    "patient": ["patient_voided"],
    "visited_at": ["in_future", "before_birth"],
    "location": ["location_retired"],
    # A null list is reported on "doses" itself, not on doses.non_field_errors.
    "doses": ["too_many_sites", "null"],
    "doses.INDEX.site": ["site_retired"],
    "doses.INDEX.laterality": ["side_required"],
    "doses.INDEX.injection_points": [REFUSED_CODE],
    "doses.INDEX.lot": ["no_lot", "lot_unusable", "not_enough_stock", "too_many_vials"],
}


# And the sign-off's.
_SIGN_OFF_RULE_CODES = {
    "acknowledgements": [*VisitWarning.Code.values, "null"],
    "non_field_errors": ["not_awaiting_sign_off", "visit_voided"],
}


def _with_rule_codes(viewset):
    for field_name, codes in _VISIT_RULE_CODES.items():
        viewset = extend_validation_errors(codes, field_name=field_name, actions=["create"])(
            viewset
        )
    for field_name, codes in _SIGN_OFF_RULE_CODES.items():
        viewset = extend_validation_errors(codes, field_name=field_name, actions=["sign_off"])(
            viewset
        )
    return viewset


@_with_rule_codes
@extend_schema_view(
    list=extend_schema(
        summary="Recent visits",
        description="Newest first, voided visits included (voided_at set). Filter by patient, "
        "clinic-day range, clinician, location or lot.",
        examples=[OpenApiExample("A visit", value=_VISIT_EXAMPLE)],
    ),
    retrieve=extend_schema(
        summary="Read a visit", examples=[OpenApiExample("A visit", value=_VISIT_EXAMPLE)]
    ),
    void=extend_schema(
        summary="Void a visit recorded by mistake",
        description="Clinicians and the clinic manager. The visit stays on record, marked. "
        "Voided on the day of the visit (clinic time), its vials go back to stock; later, "
        "they stay used.",
        request=VisitVoidSerializer,
        responses={200: VisitSerializer},
        examples=[
            OpenApiExample(
                "Wrong patient",
                value={"reason": "Recorded against the wrong patient."},
                request_only=True,
            )
        ],
    ),
    create=extend_schema(
        summary="Record a visit with its doses",
        description="Takes the opened vials from stock (per lot: its billions at this visit "
        "over the labelled billions per vial, rounded up) in the same transaction. Warnings "
        "(dose outside the site's range, high 30-day total, immunocompromised patient, "
        "cold-sore history without prophylaxis) must be acknowledged with a reason by a "
        "clinician; otherwise 400 names each one, code and message, and nothing is saved.",
        request=VisitCreateSerializer,
        responses={201: VisitSerializer},
        examples=[
            OpenApiExample("Two knees, one over range", value=_NEW_VISIT, request_only=True),
            OpenApiExample(
                "Warning not acknowledged",
                value=_UNACKNOWLEDGED,
                response_only=True,
                status_codes=["400"],
            ),
            OpenApiExample(
                "Expired lot", value=_LOT_EXPIRED, response_only=True, status_codes=["400"]
            ),
        ],
    ),
)
class VisitViewSet(
    IdempotentCreateMixin,
    AccessLoggedReadsMixin,
    VoidActionMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    request: StaffAPIRequest
    queryset = Visit.objects.all()
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    # A visit's doses are a nested list: JSON only (form encoding cannot carry them).
    parser_classes = [JSONParser]
    access_log_list_subject = "visit-search"
    access_log_subject = "visit"
    void_permission = services.VOID_PERMISSION
    void_serializer_class = VisitVoidSerializer

    def get_queryset(self):
        return _with_points(selectors.visits_visible_to(self.request.user))

    def get_serializer_class(self):
        if self.action == "create":
            return VisitCreateSerializer
        return VisitSerializer

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = VisitCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        acknowledgements = {a["code"]: a["reason"] for a in data.pop("acknowledgements")}
        points = [[PointInput(**p) for p in d["injection_points"]] for d in data["doses"]]
        new_visit_points_check(sites=[d["site"] for d in data["doses"]], points=points)
        doses = [
            services.DoseInput(
                site=d["site"],
                lot_id=d["lot"].pk,
                billions=d["billions"],
                laterality=d["laterality"],
                route=d.get("route", ""),
                volume_ml=d.get("volume_ml"),
                baseline_pain=d.get("baseline_pain"),
            )
            for d in data.pop("doses")
        ]
        try:
            # The visit and its maps stand or fall together.
            with transaction.atomic():
                visit = services.visit_record(
                    by=self.request.user, doses=doses, acknowledgements=acknowledgements, **data
                )
                new_visit_points_record(visit=visit, points=points, by=self.request.user)
        except services.WarningsNeedAcknowledgement as pending:
            suffix = (
                ""
                if pending.may_acknowledge
                else " A clinician must acknowledge this, or save the visit for sign-off "
                "(save_for_sign_off)."
            )
            raise serializers.ValidationError(
                {
                    "acknowledgements": [
                        ErrorDetail(w.message + suffix, code=w.code) for w in pending.warnings
                    ]
                }
            ) from pending
        visit = self.get_queryset().get(pk=visit.pk)
        return Response(
            VisitSerializer(visit, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Sign off a visit awaiting a clinician",
        description="Clinicians. A visit a nurse saved with warnings (save_for_sign_off), or "
        "picked for chart review, awaits sign-off: give a reason for each warning not yet "
        "acknowledged (400 names each one missing, by its code). A voided visit, or one "
        "already signed off, is refused.",
        request=VisitSignOffSerializer,
        responses={200: VisitSerializer},
        examples=[
            OpenApiExample(
                "Immunocompromised patient",
                value={
                    "acknowledgements": [
                        {
                            "code": "immunocompromised",
                            "reason": "Stable on tacrolimus; transplant team agreed.",
                        }
                    ],
                    "note": "",
                },
                request_only=True,
            )
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="sign-off",
        permission_classes=[requires("treatments.view_visit", services.ACKNOWLEDGE_PERMISSION)],
    )
    def sign_off(self, request: StaffAPIRequest, pk: str | None = None) -> Response:
        visit = self.get_object()
        body = VisitSignOffSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.visit_sign_off(
            visit=visit,
            by=request.user,
            acknowledgements={
                a["code"]: a["reason"] for a in body.validated_data["acknowledgements"]
            },
            note=body.validated_data["note"],
        )
        visit = self.get_queryset().get(pk=visit.pk)
        return Response(VisitSerializer(visit, context=self.get_serializer_context()).data)

    def perform_void(self, visit: Visit, *, by: User, reason: str) -> None:
        services.visit_void(visit=visit, by=by, reason=reason)
