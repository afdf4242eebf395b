"""Safety signals over REST: the same computed rows as the page, read-only."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.safety.models import AdverseEventType
from apps.safety.selectors.safety_signals import (
    Level,
    event_types_with_rate,
    safety_signals,
)
from exotrack.api.permissions import requires


class SafetySignalSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices)
    key = serializers.CharField(
        help_text="The lot id, the product id or the site category code, as text."
    )
    # The serializer's metaclass takes declared fields out of the class, so this does not
    # replace Field.label at run time; the stubs cannot see that.
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="Product and lot number, product, or category."
    )
    lot = serializers.IntegerField(
        source="lot_id", allow_null=True, help_text="The lot, at lot level; otherwise null."
    )
    product = serializers.IntegerField(
        source="product_id",
        allow_null=True,
        help_text="The product, at lot and product level; null for a site category.",
    )
    event_type = serializers.CharField(source="event_type.code")
    event_type_name = serializers.CharField(source="event_type.name")
    exposure = serializers.ChoiceField(
        source="event_type.exposure",
        choices=AdverseEventType.Exposure.choices,
        help_text="What one exposure is: a dose (treatment) or a visit.",
    )
    exposures = serializers.IntegerField(min_value=1)
    events = serializers.IntegerField(min_value=0)
    rate = serializers.FloatField(help_text="events / exposures")
    ci_low = serializers.FloatField(help_text="95 % exact (Clopper-Pearson) interval, lower end.")
    ci_high = serializers.FloatField(help_text="95 % exact (Clopper-Pearson) interval, upper end.")
    expected_rate = serializers.FloatField(help_text="1 / the event type's expected 1-in-N.")
    p_value = serializers.FloatField(
        help_text="One-sided exact binomial test: more events than the expected rate gives."
    )
    signalling = serializers.BooleanField(
        help_text="p_value below SAFETY_SIGNAL_P_VALUE with at least SAFETY_SIGNAL_MIN_EVENTS "
        "events."
    )


class SafetySignalFilter(serializers.Serializer):
    # Blank means "every", as an empty filter box on the page does.
    level = serializers.ChoiceField(choices=Level.choices, required=False, allow_blank=True)
    event_type = serializers.SlugField(required=False, allow_blank=True)


_SIGNAL = {
    "level": "lot",
    "key": "7",
    "label": "XoGlo Pro lot ABC123",
    "lot": 7,
    "product": 2,
    "event_type": "infection",
    "event_type_name": "Infection at the injection site",
    "exposure": "dose",
    "exposures": 300,
    "events": 4,
    "rate": 0.013333,
    "ci_low": 0.003645,
    "ci_high": 0.033785,
    "expected_rate": 0.0005,
    "p_value": 1.837e-05,
    "signalling": True,
}


@extend_validation_errors(["invalid_choice"], field_name="level", actions=["list"])
@extend_validation_errors(
    ["invalid", "null_characters_not_allowed"], field_name="event_type", actions=["list"]
)
class SafetySignalViewSet(viewsets.GenericViewSet):
    # The rows are computed, not a model's: the permission is named outright.
    permission_classes = [requires("safety.view_lotsignal")]
    serializer_class = SafetySignalSerializer
    filter_backends: list = []

    @extend_schema(
        summary="List safety signals",
        description="Per lot, product and site category, and per adverse-event type with an "
        "expected rate: exposures, events, rate with its 95 % exact interval, the expected "
        "rate and the one-sided exact binomial p-value. Signalling rows first, then the "
        "smallest p-value. Voided visits and events never count; a per-visit event type "
        "counts distinct visits, a per-dose type counts doses.",
        parameters=[
            OpenApiParameter("level", enum=Level.values, description="Only this level."),
            OpenApiParameter("event_type", str, description="Only this event type (its code)."),
        ],
        examples=[OpenApiExample("A lot that signals", value=_SIGNAL)],
    )
    def list(self, request: Request) -> Response:
        query = SafetySignalFilter(data=request.query_params)
        query.is_valid(raise_exception=True)
        event_types = list(event_types_with_rate())
        code = query.validated_data.get("event_type")
        if code:
            event_types = [t for t in event_types if t.code == code]
            if not event_types:
                raise serializers.ValidationError(
                    {"event_type": [f"No event type with an expected rate has the code {code}."]}
                )
        level = query.validated_data.get("level")
        rows = safety_signals(levels=[level] if level else None, event_types=event_types)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
