from rest_framework import serializers


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's slug lookup, refusing the NUL character PostgreSQL cannot compare with
    (otherwise the lookup raises a database error and the client gets a 500)."""

    default_error_messages = {
        **serializers.SlugRelatedField.default_error_messages,
        "null_characters": "Null characters are not allowed.",
    }

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("null_characters")
        return super().to_internal_value(data)
