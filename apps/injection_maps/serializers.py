"""The shape of an injection point over REST, shared by the injection-map resource and
the visits resource (which reads and writes points with each dose): one definition, so
both document and check points alike."""

from rest_framework import serializers

from apps.injection_maps.services import MAX_POINTS_PER_DOSE


class InjectionPointSerializer(serializers.Serializer):
    x = serializers.DecimalField(
        max_digits=6, decimal_places=1, min_value=0, help_text="In the diagram's units."
    )
    y = serializers.DecimalField(max_digits=6, decimal_places=1, min_value=0)
    share_percent = serializers.IntegerField(
        min_value=1,
        max_value=100,
        allow_null=True,
        required=False,
        help_text="Share of the dose given at this point, if recorded.",
    )


def injection_points_field(**kwargs) -> serializers.ListSerializer:
    """A dose's points: at most MAX_POINTS_PER_DOSE."""
    return serializers.ListSerializer(
        child=InjectionPointSerializer(), max_length=MAX_POINTS_PER_DOSE, **kwargs
    )
