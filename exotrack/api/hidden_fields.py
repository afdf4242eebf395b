"""Writes naming a field the caller's role may not see are refused, naming the field.

A role's serializer leaves such fields out, and DRF ignores unknown keys: a front-desk
PATCH of a clinical field answered 200 and silently dropped it, so the caller believed it
saved. A serializer with this mixin answers 400 on each such field instead."""

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

if TYPE_CHECKING:
    _Serializer = serializers.Serializer
else:
    _Serializer = object

HIDDEN_FIELD_CODE = "not_permitted"


# Before a Serializer in the bases (its base is object at run time, a Serializer for mypy).
class RefusesHiddenFields(_Serializer):
    hidden_fields: ClassVar[Collection[str]] = ()

    def refused_fields(self) -> Collection[str]:
        """The fields refused to this caller; a serializer whose fields depend on the
        caller's role answers per instance."""
        return self.hidden_fields

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            named = sorted(set(data) & set(self.refused_fields()))
            if named:
                raise serializers.ValidationError(
                    {
                        name: [
                            ErrorDetail(
                                "Your role may not change this field.", code=HIDDEN_FIELD_CODE
                            )
                        ]
                        for name in named
                    }
                )
        return super().to_internal_value(data)
