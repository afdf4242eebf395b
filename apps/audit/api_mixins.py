"""API reads of patient records go to the access log, like page reads. A viewset names
its subjects and gets logged list and retrieve, and a logged read for every answer that
shows a record after changing it (PATCH, void, sign-off...)."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rest_framework import status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.requests import StaffAPIRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_patients_read, access_log_record

if TYPE_CHECKING:
    from rest_framework.viewsets import GenericViewSet as _ReadViewSet
else:
    _ReadViewSet = object


# Before ListModelMixin/RetrieveModelMixin. `access_log_list_subject` names a list read
# (logged as `access_log_list_action`, with `access_log_list_detail`: its filters),
# `access_log_subject` one record, whose patient comes from `access_log_patient_id`;
# the answer to a change of one record is logged under it too.
# Comments, not a docstring: drf-spectacular would publish a mixin's docstring as the
# description of every viewset without one of its own.
class AccessLoggedReadsMixin(_ReadViewSet):
    # Behind authentication and RolePermission the user is signed-in staff. Overrides of
    # list, retrieve, create... read it as self.request.user: their `request` parameter
    # keeps DRF's plain Request type, which a subclass may not narrow.
    request: StaffAPIRequest
    access_log_list_subject: str
    access_log_subject: str
    access_log_list_action: str = AccessLog.Action.API_READ

    # `obj` is Any: each resource reads its own model's patient.
    def access_log_patient_id(self, obj: Any) -> int | None:
        return getattr(obj, "patient_id", None)

    def access_log_list_detail(self, request: Request) -> dict:
        return {"filters": request.query_params.dict()}

    # A list whose rows name patients beyond their own record (the stock ledger's reasons
    # name a visit's patient) gives the patients of a page here; they join its entry.
    def access_log_page_patients(self, page: Sequence[Any]) -> list[int] | None:
        return None

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # ListModelMixin's steps, with the entry written once the page is known (a filter
        # refused with a 400 has read nothing).
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        patients = self.access_log_page_patients(page) if page is not None else None
        log: dict[str, Any] = {
            "user": self.request.user,
            "action": self.access_log_list_action,
            "subject": self.access_log_list_subject,
            "path": request.get_full_path(),
            "detail": self.access_log_list_detail(request),
        }
        if patients is None:
            access_log_record(**log)
        else:
            access_log_patients_read(**log, patients=patients)
        if page is None:
            return Response(self.get_serializer(queryset, many=True).data)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        access_log_record(
            user=self.request.user,
            action=AccessLog.Action.API_READ,
            subject=self.access_log_subject,
            patient_id=self.access_log_patient_id(obj),
            object_id=obj.pk,
            path=request.path,
        )
        return Response(self.get_serializer(obj).data)

    # The record a detail action works on, kept for the entry of its answer.
    def get_object(self) -> Any:
        self._access_logged_record = super().get_object()
        return self._access_logged_record

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        # The answer to a change (PATCH, void, sign-off, acknowledge...) is the record as
        # it now reads: a read like GET, logged once the change has gone through.
        record = getattr(self, "_access_logged_record", None)
        if (
            record is not None
            and request.method not in SAFE_METHODS
            and status.is_success(response.status_code)
        ):
            access_log_record(
                user=self.request.user,
                action=AccessLog.Action.API_READ,
                subject=self.access_log_subject,
                patient_id=self.access_log_patient_id(record),
                object_id=record.pk,
                path=request.path,
                detail={"after": self.action},
            )
        return super().finalize_response(request, response, *args, **kwargs)
