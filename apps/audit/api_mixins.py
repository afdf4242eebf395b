"""API reads of patient records go to the access log, like page reads. A viewset names
its subjects and gets logged list and retrieve."""

from rest_framework.request import Request
from rest_framework.response import Response

from apps.audit.models import AccessLog
from apps.audit.services import access_log_record


# Before ListModelMixin/RetrieveModelMixin. `access_log_list_subject` names a list read
# (logged as `access_log_list_action`, with `access_log_list_detail`: its filters),
# `access_log_subject` one record, whose patient comes from `access_log_patient_id`.
# Comments, not a docstring: drf-spectacular would publish a mixin's docstring as the
# description of every viewset without one of its own.
class AccessLoggedReadsMixin:
    access_log_list_subject: str
    access_log_subject: str
    access_log_list_action: str = AccessLog.Action.API_READ

    def access_log_patient_id(self, obj) -> int | None:
        return getattr(obj, "patient_id", None)

    def access_log_list_detail(self, request: Request) -> dict:
        return {"filters": request.query_params.dict()}

    def list(self, request: Request, *args, **kwargs) -> Response:
        access_log_record(
            user=request.user,
            action=self.access_log_list_action,
            subject=self.access_log_list_subject,
            path=request.get_full_path(),
            detail=self.access_log_list_detail(request),
        )
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        obj = self.get_object()
        access_log_record(
            user=request.user,
            action=AccessLog.Action.API_READ,
            subject=self.access_log_subject,
            patient_id=self.access_log_patient_id(obj),
            object_id=obj.pk,
            path=request.path,
        )
        return Response(self.get_serializer(obj).data)
