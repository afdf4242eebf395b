"""Follow-ups and their reminder deliveries over REST. The staff actions (complete,
reschedule, cancel) call the same services as the worklist, so both answer alike."""

from collections.abc import Collection
from typing import cast

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.requests import StaffAPIRequest
from apps.audit.api_mixins import AccessLoggedReadsMixin
from apps.followups.models import Channel, FollowUp, Kind, ReminderDelivery
from apps.followups.selectors.follow_ups import (
    DESK_KINDS,
    DESK_RECALL_KIND,
    deliveries_visible_to,
    follow_up_search,
    follow_ups_visible_to,
    kind_filter_value,
    kind_shown_to,
    notes_shown_to,
)
from apps.followups.services import scheduling
from apps.patients.models import Patient
from apps.patients.selectors import may_see_clinical, patients_visible_to
from apps.treatments.models import TreatmentSite
from exotrack.api.hidden_fields import HIDDEN_FIELD_CODE, RefusesHiddenFields
from exotrack.api.idempotency import IdempotentCreateMixin
from exotrack.api.permissions import requires
from exotrack.dates import ClinicDateFilter, ClinicDateSerializerField

WORK_PERMISSION = "followups.change_followup"


class FollowUpSerializer(serializers.ModelSerializer):
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    rule_name = serializers.CharField(
        source="rule.name", read_only=True, default=None, allow_null=True
    )
    site_name = serializers.CharField(
        source="site.name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "patient",
            "patient_mrn",
            "patient_name",
            "visit",
            "rule",
            "rule_name",
            "site",
            "site_name",
            "lot",
            "kind",
            "channel",
            "due_on",
            "status",
            "note",
            "completed_at",
            "completed_by",
            "completion_note",
            "reminder_state",
            "next_reminder_at",
            "reminders_sent",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields


# Front desk: booking and calls, no clinical detail (which site, which rule, which lot;
# the kind and the notes as selectors.follow_ups says).
_CLINICAL = {"visit", "rule", "rule_name", "site", "site_name", "lot"}


class FollowUpDeskSerializer(FollowUpSerializer):
    kind = serializers.ChoiceField(
        choices=DESK_KINDS,
        read_only=True,
        help_text=f"A recall contact reads as {DESK_RECALL_KIND}: a call to make.",
    )
    note = serializers.CharField(read_only=True, help_text="Empty unless you wrote it.")
    completion_note = serializers.CharField(
        read_only=True, help_text="Empty unless you completed it."
    )

    class Meta(FollowUpSerializer.Meta):
        fields = [f for f in FollowUpSerializer.Meta.fields if f not in _CLINICAL]
        read_only_fields = fields

    def to_representation(self, instance: FollowUp) -> dict:
        row = super().to_representation(instance)
        user = self.context["request"].user
        row["kind"] = kind_shown_to(user, instance)[0]
        row["note"], row["completion_note"] = notes_shown_to(user, instance)
        return row


def desk_hidden_fields_optional(result, generator, request, public):
    """Schema post-processing hook (SPECTACULAR_SETTINGS): one FollowUp schema serves every
    role, and front-desk answers leave the clinical fields out, so the schema marks them
    optional and says who does not get them."""
    schema = result.get("components", {}).get("schemas", {}).get("FollowUp")
    if schema is not None:
        schema["required"] = [name for name in schema.get("required", []) if name not in _CLINICAL]
        for name in _CLINICAL:
            field = schema["properties"][name]
            field["description"] = " ".join(
                filter(None, [field.get("description"), "Absent for front-desk accounts."])
            )
    return result


class FollowUpCreateSerializer(RefusesHiddenFields, serializers.Serializer):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.none())
    kind = serializers.ChoiceField(choices=[(k.value, k.label) for k in scheduling.MANUAL_KINDS])
    due_on = ClinicDateSerializerField()
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        default=Channel.EMAIL,
        help_text="Patients without e-mail consent or a valid address get a staff call.",
    )
    site = serializers.PrimaryKeyRelatedField(
        queryset=TreatmentSite.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Repeat sessions only: the next visit treating this site supersedes it.",
    )
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=500)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.context.get("request"), "user", None)
        # An unseen patient reads as "does not exist", as everywhere else.
        patient = cast(serializers.RelatedField, self.fields["patient"])
        # The stubs' `queryset` type includes a manager, whose `__get__` mypy applies on
        # assignment: the `arg-type` ignore is for that alone.
        patient.queryset = (  # type: ignore[arg-type]
            patients_visible_to(user) if user is not None else Patient.objects.none()
        )
        if user is not None and not may_see_clinical(user):
            # The front desk books follow-ups without clinical detail, as in the pages.
            del self.fields["site"]

    def refused_fields(self) -> Collection[str]:
        # A site the front desk names anyway is refused, not silently dropped.
        return () if "site" in self.fields else ("site",)


class FollowUpCompleteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=1000, help_text="What came of it.")


class FollowUpRescheduleSerializer(serializers.Serializer):
    due_on = ClinicDateSerializerField(help_text="The new day (today or later).")
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=500)


class FollowUpCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class FollowUpFilter(django_filters.FilterSet):
    """The follow-up list's query parameters, validated and documented here (the field
    names give their documented types) and answered by selectors.follow_up_search."""

    due_from = ClinicDateFilter(field_name="due_on", lookup_expr="gte")
    due_to = ClinicDateFilter(field_name="due_on", lookup_expr="lte")
    status = django_filters.ChoiceFilter(choices=FollowUp.Status.choices)
    kind = django_filters.ChoiceFilter(
        choices=[*Kind.choices, (DESK_RECALL_KIND, "Call the patient (recall contact)")],
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    patient = django_filters.NumberFilter(field_name="patient_id")

    class Meta:
        model = FollowUp
        fields = ["due_from", "due_to", "status", "kind", "channel", "patient"]

    def filter_queryset(self, queryset):
        given = self.form.cleaned_data
        # The desk asks for recall contacts as calls to make; a kind it may not see finds none.
        kind = kind_filter_value(self.request.user, given["kind"]) if given["kind"] else ""
        if kind is None:
            return queryset.none()
        return follow_up_search(
            user=self.request.user,
            due_from=given["due_from"],
            due_to=given["due_to"],
            status=given["status"],
            kind=kind,
            channel=given["channel"],
            patient_id=given["patient"],
        )


CanWorkFollowUps = requires(WORK_PERMISSION)


_FOLLOW_UP_EXAMPLE = {
    "id": 118,
    "patient": 12,
    "patient_mrn": "EX0000012",
    "patient_name": "Ada Byron",
    "visit": 41,
    "rule": 1,
    "rule_name": "Day-3 infection check",
    "site": None,
    "site_name": None,
    "lot": None,
    "kind": "check_in",
    "channel": "email",
    "due_on": "2026-11-27",
    "status": "pending",
    "note": "",
    "completed_at": None,
    "completed_by": None,
    "completion_note": "",
    "reminder_state": "scheduled",
    "next_reminder_at": "2026-11-27T14:00:00Z",
    "reminders_sent": 0,
    "created_at": "2026-11-24T15:41:07Z",
    "created_by": 5,
}


def _documented_refusals(viewset):
    # The services refuse a site on anything but a repeat session as a plain field error,
    # and a follow-up that is no longer pending with its own code on the field asked for.
    # The front desk naming a site at all is refused on it (RefusesHiddenFields).
    viewset = extend_validation_errors(
        ["invalid", HIDDEN_FIELD_CODE], field_name="site", actions=["create"]
    )(viewset)
    for action_name, field_name in [
        ("reschedule", "due_on"),
        ("cancel", "reason"),
        ("complete", "note"),
    ]:
        viewset = extend_validation_errors(
            ["not_pending"], field_name=field_name, actions=[action_name]
        )(viewset)
    return viewset


@_documented_refusals
@extend_schema_view(
    list=extend_schema(
        summary="Follow-ups",
        description="Soonest due first. Filter by due-day range, status, kind, channel or "
        "patient. Front-desk accounts get no clinical field (visit, rule, site, lot).",
        examples=[OpenApiExample("A follow-up", value=_FOLLOW_UP_EXAMPLE)],
    ),
    retrieve=extend_schema(summary="Read a follow-up"),
    create=extend_schema(
        summary="Add a follow-up by hand",
        description="A check-in, an outcome or a repeat session, due today or later. An "
        "e-mail follow-up for a patient without consent or a valid address becomes a "
        "staff call.",
        request=FollowUpCreateSerializer,
        responses={201: FollowUpSerializer},
        examples=[
            OpenApiExample(
                "Call in two weeks",
                value={
                    "patient": 12,
                    "kind": "check_in",
                    "due_on": "2026-12-08",
                    "channel": "call",
                    "note": "Asked to be called about the swelling.",
                },
                request_only=True,
            )
        ],
    ),
)
class FollowUpViewSet(
    IdempotentCreateMixin,
    AccessLoggedReadsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    request: StaffAPIRequest
    queryset = FollowUp.objects.all()
    filterset_class = FollowUpFilter
    access_log_list_subject = "follow-up-search"
    access_log_subject = "follow-up"

    def get_queryset(self):
        return follow_ups_visible_to(self.request.user).order_by("due_on", "id")

    def get_serializer_class(self):
        if self.action == "create":
            return FollowUpCreateSerializer
        if getattr(self, "swagger_fake_view", False) or may_see_clinical(self.request.user):
            return FollowUpSerializer
        return FollowUpDeskSerializer

    def _shown(self, follow_up: FollowUp) -> dict:
        serializer = (
            FollowUpSerializer if may_see_clinical(self.request.user) else FollowUpDeskSerializer
        )
        fresh = self.get_queryset().get(pk=follow_up.pk)
        return serializer(fresh, context=self.get_serializer_context()).data

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = FollowUpCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        follow_up = scheduling.follow_up_add_by_staff(
            by=self.request.user, **serializer.validated_data
        )
        return Response(self._shown(follow_up), status=status.HTTP_201_CREATED)

    def _act(self, request: StaffAPIRequest, serializer_class, service) -> Response:
        follow_up = self.get_object()
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        follow_up = service(follow_up=follow_up, by=request.user, **serializer.validated_data)
        return Response(self._shown(follow_up))

    @extend_schema(
        summary="Complete a follow-up",
        description="Pending follow-ups only. Stops its reminders.",
        request=FollowUpCompleteSerializer,
        responses={200: FollowUpSerializer},
        examples=[
            OpenApiExample(
                "Called",
                value={"note": "Called: no redness, no fever."},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"], permission_classes=[CanWorkFollowUps])
    def complete(self, request: StaffAPIRequest, pk=None) -> Response:
        return self._act(request, FollowUpCompleteSerializer, scheduling.follow_up_complete)

    @extend_schema(
        summary="Move a follow-up to another day",
        description="Pending follow-ups only, to today or later. The e-mail reminder moves "
        "with it; one already sent is sent again on the new day.",
        request=FollowUpRescheduleSerializer,
        responses={200: FollowUpSerializer},
        examples=[
            OpenApiExample(
                "Away that week",
                value={"due_on": "2026-12-15", "note": "Travelling until the 14th."},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"], permission_classes=[CanWorkFollowUps])
    def reschedule(self, request: StaffAPIRequest, pk=None) -> Response:
        return self._act(request, FollowUpRescheduleSerializer, scheduling.follow_up_reschedule)

    @extend_schema(
        summary="Cancel a follow-up",
        description="Pending follow-ups only. Stops its reminders; the reason is kept.",
        request=FollowUpCancelSerializer,
        responses={200: FollowUpSerializer},
        examples=[
            OpenApiExample(
                "Moved away", value={"reason": "Patient moved abroad."}, request_only=True
            )
        ],
    )
    @action(detail=True, methods=["post"], permission_classes=[CanWorkFollowUps])
    def cancel(self, request: StaffAPIRequest, pk=None) -> Response:
        return self._act(request, FollowUpCancelSerializer, scheduling.follow_up_cancel)


# --- Reminder deliveries ------------------------------------------------------------


class ReminderDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = ReminderDelivery
        fields = [
            "id",
            "follow_up",
            "attempted_at",
            "status",
            "to_address",
            "smtp_code",
            "smtp_reply",
            "message_id",
            "reminder_number",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="Reminder e-mail deliveries",
        description="Every attempt to hand a reminder to the mail server, newest first. "
        "Filter by follow-up or status.",
    ),
    retrieve=extend_schema(summary="Read a reminder delivery"),
)
# Django's form field for the follow-up choice refuses a NUL character before the lookup.
@extend_validation_errors(["null_characters_not_allowed"], field_name="follow_up", actions=["list"])
class ReminderDeliveryViewSet(AccessLoggedReadsMixin, viewsets.ReadOnlyModelViewSet):
    request: StaffAPIRequest
    queryset = ReminderDelivery.objects.all()
    serializer_class = ReminderDeliverySerializer
    filterset_fields = ["follow_up", "status"]
    access_log_list_subject = "reminder-deliveries"
    access_log_subject = "reminder-delivery"

    def get_queryset(self):
        return deliveries_visible_to(self.request.user).select_related("follow_up")

    def access_log_patient_id(self, delivery: ReminderDelivery) -> int:
        return delivery.follow_up.patient_id
