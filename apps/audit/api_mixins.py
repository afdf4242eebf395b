"""API reads of patient records go to the access log, like page reads. A viewset names
its subjects and gets logged list and retrieve."""

from rest_framework.request import Request
from rest_framework.response import Response

from apps.audit.models import AccessLog
from apps.audit.services import access_log_record


class AccessLoggedReadsMixin:
    """Before ListModelMixin/RetrieveModelMixin. `access_log_list_subject` names a list
    read (with its filters), `access_log_subject` one record, whose patient comes from
    `access_log_patient_id`."""

    access_log_list_subject: str
    access_log_subject: str

    def access_log_patient_id(self, obj) -> int | None:
        return getattr(obj, "patient_id", None)

    def list(self, request: Request, *args, **kwargs) -> Response:
        access_log_record(
            user=request.user,
            action=AccessLog.Action.API_READ,
            subject=self.access_log_list_subject,
            path=request.get_full_path(),
            detail={"filters": request.query_params.dict()},
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
