"""The clinic profile's public parts over REST: what patients are told (name, phone,
booking) and when reminders go out. The safety contact's address stays on the staff page."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.clinic.selectors import clinic_profile
from exotrack.api.permissions import requires


# Hours and minutes in the clinic's zone. JSON Schema's "time" format would demand a UTC
# offset, which a local send time has not.
@extend_schema_field({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "09:00"})
class LocalTimeField(serializers.TimeField):
    pass


class ClinicProfileSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    contact_phone = serializers.CharField(read_only=True)
    booking_url = serializers.CharField(read_only=True)
    booking_instructions = serializers.CharField(read_only=True)
    reminder_send_time = LocalTimeField(
        format="%H:%M",
        read_only=True,
        help_text="Local time (clinic time zone) reminder e-mails go out.",
    )


class ClinicProfileView(APIView):
    permission_classes = [requires("clinic.view_clinicprofile")]

    @extend_schema(summary="The clinic's profile", responses=ClinicProfileSerializer)
    def get(self, request: Request) -> Response:
        return Response(ClinicProfileSerializer(clinic_profile()).data)
