import datetime

from django.utils import timezone
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


class UTCDateTimeField(serializers.DateTimeField):
    """A date-time answered in UTC ('2026-11-24T14:05:00Z'), as the schema documents
    date-times; a naive one sent in is still read in the clinic's zone. Model date-times
    of every ModelSerializer use it (exotrack/apps.py)."""

    def to_representation(self, value):
        with timezone.override(datetime.UTC):
            return super().to_representation(value)
