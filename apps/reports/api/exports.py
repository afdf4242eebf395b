"""CSV exports over REST: /api/v1/reports/exports/{name}.csv with the filters of the
reports page as query parameters. Same roles, same access log, same streamed COPY."""

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.reports.downloads import export_download
from apps.reports.exports import EXPORTS
from apps.reports.forms import DEIDENTIFIED, EXCEL_CSV, IDENTIFIED, PLAIN_CSV, ExportForm
from apps.treatments.models import TreatmentSite
from exotrack.api.permissions import requires

CanViewReports = requires("reports.view_reports")


class CsvRenderer(BaseRenderer):
    """Lets a client ask for text/csv; the export itself is already bytes."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        # Only error bodies pass through here (an export is a streamed response).
        return json.dumps(data).encode()


_PARAMETERS = [
    OpenApiParameter(
        "name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(EXPORTS), description="Export."
    ),
    OpenApiParameter(
        "date_from", OpenApiTypes.DATE, description="Visits on or after (clinic day)."
    ),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Visits on or before."),
    OpenApiParameter(
        "site_category",
        OpenApiTypes.STR,
        enum=TreatmentSite.Category.values,
        description="Category of the treated site.",
    ),
    OpenApiParameter("site", OpenApiTypes.INT, description="Treatment site id."),
    OpenApiParameter("product", OpenApiTypes.INT, description="Product id."),
    OpenApiParameter("lot", OpenApiTypes.INT, description="Lot id."),
    OpenApiParameter("clinician", OpenApiTypes.INT, description="Clinician (user) id."),
    OpenApiParameter("location", OpenApiTypes.INT, description="Location id."),
    OpenApiParameter(
        "mode",
        OpenApiTypes.STR,
        enum=[DEIDENTIFIED, IDENTIFIED],
        description="identified needs reports.export_identified (clinicians, managers); "
        "others are refused with 403. Default: deidentified.",
    ),
    OpenApiParameter(
        "shift_days",
        OpenApiTypes.INT,
        description="De-identified only: move each patient's dates by a stable number of "
        "days, at most this many either way (REPORTS_DATE_SHIFT_MAX_DAYS caps it).",
    ),
    OpenApiParameter(
        "encoding",
        OpenApiTypes.STR,
        enum=[PLAIN_CSV, EXCEL_CSV],
        description=f"{EXCEL_CSV}: the same file behind a UTF-8 byte-order mark, which Excel "
        f"needs to read it as UTF-8 (the file name ends in -excel). Default: {PLAIN_CSV}.",
    ),
]


def _documents_filter_errors(view: type[APIView]) -> type[APIView]:
    """Wrong filters are refused with 400, each error named by its query parameter."""
    for field in ExportForm.base_fields:
        view = extend_validation_errors(["invalid"], field_name=field, methods=["get"])(view)
    return view


@_documents_filter_errors
class ReportExportView(APIView):
    permission_classes = [CanViewReports]
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(
        summary="Download a report as CSV",
        operation_id="reports_export",
        description="Streamed RFC 4180 CSV (UTF-8, header row, ISO dates, formula-safe "
        "cells, Cache-Control: no-store), the same as the reports page's buttons. Each "
        "download is written to the access log with the filters.",
        parameters=_PARAMETERS,
        # 400 (each wrong filter named), 403 (no reports role, or identified without the
        # right) and 404 (no such export) are the API's standard error bodies.
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV."),
        },
    )
    def get(self, request: Request, name: str):
        if name not in EXPORTS:
            raise NotFound("No such export.")
        form = ExportForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(
                {
                    field: [e["message"] for e in errors]
                    for field, errors in form.errors.get_json_data().items()
                }
            )
        return export_download(
            user=request.user, name=name, form=form, path=request.get_full_path()
        )
