"""Who the caller is: their account, their roles and what those let them do, so an
integration can check its token before it records anything."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.requests import StaffAPIRequest


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    roles = serializers.ListField(
        child=serializers.CharField(), read_only=True, source="role_names"
    )
    permissions = serializers.SerializerMethodField(
        help_text="Permission codes of the caller's roles, e.g. treatments.add_visit."
    )

    def get_permissions(self, user) -> list[str]:
        return sorted(user.get_all_permissions())


class MeView(APIView):
    @extend_schema(summary="The signed-in staff member", responses=MeSerializer)
    def get(self, request: StaffAPIRequest) -> Response:
        return Response(MeSerializer(request.user).data)
