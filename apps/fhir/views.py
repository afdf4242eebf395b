"""The FHIR R4 endpoints under /fhir/R4/. Thin: parse, call reading/bulk, log, answer.

Authentication is the REST API's (staff session or token), token first so that an
unsigned request is told 401 with a WWW-Authenticate header rather than 403."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date
from rest_framework.authentication import SessionAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api_tokens import ApiTokenAuthentication
from apps.accounts.requests import StaffAPIRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.fhir.capability import capability_statement
from apps.fhir.errors import FhirError, fhir_exception_handler, operation_outcome
from apps.fhir.models import BulkExport
from apps.fhir.reading import (
    Page,
    fhir_read,
    fhir_search_page,
    patient_of,
    resource_type_readable_by,
)
from apps.fhir.search import parse_search
from apps.fhir.selectors import fhir_medications
from apps.fhir.services import bulk_export_cancel, bulk_export_directory, bulk_export_start

FHIR_JSON = "application/fhir+json"


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "json"


class FhirJSONOnly(BaseContentNegotiation):
    """Every answer is FHIR JSON, whatever the Accept header asks (the only format)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class FhirView(APIView):
    # FHIR's own CapabilityStatement describes these endpoints, not the REST API's schema.
    schema = None
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [FhirJSONRenderer]
    content_negotiation_class = FhirJSONOnly

    def get_exception_handler(self):
        return fhir_exception_handler


def base_url(request: Request) -> str:
    return request.build_absolute_uri("/fhir/R4/")


class Metadata(FhirView):
    # What is served is public knowledge; no record is named in it.
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        published = timezone.now().replace(microsecond=0).isoformat()
        return Response(capability_statement(base_url=base_url(request), published=published))


class Read(FhirView):
    def get(self, request: StaffAPIRequest, resource_type: str, resource_id: str) -> Response:
        served = resource_type_readable_by(request.user, resource_type)
        resource = fhir_read(user=request.user, resource_type=served, resource_id=resource_id)
        # fhir_read answered 404 for an id the table never issues, so this one has a position.
        position = served.position(resource_id)
        access_log_record(
            user=request.user,
            action=AccessLog.Action.API_READ,
            subject=f"fhir:{resource_type}",
            patient_id=patient_of(resource),
            object_id=position[0] if position is not None else None,
            path=request.path,
        )
        return Response(resource)


def _bundle(request: Request, page: Page) -> dict:
    base = base_url(request)
    links = [{"relation": "self", "url": request.build_absolute_uri()}]
    if page.next_after:
        params = request.query_params.copy()
        params["_after"] = page.next_after
        links.append(
            {"relation": "next", "url": request.build_absolute_uri(f"?{params.urlencode()}")}
        )
    entries = [
        {
            "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
            "resource": resource,
            "search": {"mode": mode},
        }
        for resources, mode in ((page.resources, "match"), (page.included, "include"))
        for resource in resources
    ]
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": timezone.now().isoformat(),
        "link": links,
        "entry": entries,
    }


class Search(FhirView):
    def get(self, request: StaffAPIRequest, resource_type: str) -> Response:
        served = resource_type_readable_by(request.user, resource_type)
        model = served.records(request.user).model
        search = parse_search(served, request.query_params, model=model)
        page = fhir_search_page(user=request.user, resource_type=served, search=search)
        access_log_record(
            user=request.user,
            action=AccessLog.Action.SEARCH,
            subject=f"fhir:{resource_type}",
            patient_id=next(iter(search.patient_ids)) if len(search.patient_ids) == 1 else None,
            path=request.get_full_path(),
            detail={
                "params": request.query_params.dict(),
                "patients": page.patient_ids(),
                "resources": len(page.resources),
            },
        )
        return Response(_bundle(request, page))


class Unknown(FhirView):
    """Any other address under /fhir/R4/: an OperationOutcome, not Django's HTML page."""

    permission_classes = [AllowAny]

    def get(self, request: Request, path: str = "") -> Response:
        raise FhirError(f"Nothing is served at /fhir/R4/{path}.", status_code=404, code="not-found")

    post = put = patch = delete = get


# Bulk Data (HL7 FHIR Bulk Data Access 2.0) ------------------------------------------

_KICK_OFF_PARAMETERS = {"_type", "_since", "_outputFormat"}
_NDJSON_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}


def _kick_off_options(request: Request) -> dict:
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise FhirError("A bulk export runs asynchronously: send 'Prefer: respond-async'.")
    unknown = set(request.query_params) - _KICK_OFF_PARAMETERS
    if unknown:
        raise FhirError(f"Not supported here: {', '.join(sorted(unknown))}.", code="not-supported")
    if request.query_params.get("_outputFormat", "ndjson") not in _NDJSON_FORMATS:
        raise FhirError("Only NDJSON is written (_outputFormat=application/fhir+ndjson).")
    options: dict = {"request_url": request.build_absolute_uri()}
    types = [t for v in request.query_params.getlist("_type") for t in v.split(",") if t]
    if types:
        options["types"] = types
    if "_since" in request.query_params:
        since = parse_datetime(request.query_params["_since"])
        if since is None or timezone.is_naive(since):
            raise FhirError("_since must be an instant with its zone, e.g. 2026-03-01T00:00:00Z.")
        options["since"] = since
    return options


def _kick_off(request: StaffAPIRequest, **options) -> Response:
    try:
        export = bulk_export_start(by=request.user, **options, **_kick_off_options(request))
    except DjangoPermissionDenied as error:
        raise FhirError(str(error), status_code=403, code="forbidden") from error
    except DjangoValidationError as error:
        raise FhirError(" ".join(error.messages), code="not-supported") from error
    access_log_record(
        user=request.user,
        action=AccessLog.Action.EXPORT,
        subject="fhir:bulk-export",
        path=request.get_full_path(),
        detail={"export": str(export.pk), "types": export.types, "lot": export.lot_id},
    )
    status_url = request.build_absolute_uri(f"/fhir/R4/$export-status/{export.pk}")
    return Response(
        operation_outcome("Export queued.", code="informational", severity="information"),
        status=202,
        headers={"Content-Location": status_url},
    )


class PatientExport(FhirView):
    def get(self, request: StaffAPIRequest) -> Response:
        return _kick_off(request, level=BulkExport.Level.PATIENT)


class GroupExport(FhirView):
    """A Group here is the recipients of one lot, the group a recall is about."""

    def get(self, request: StaffAPIRequest, lot_id: int) -> Response:
        lot = fhir_medications(request.user).filter(pk=lot_id).first()
        if lot is None:
            raise FhirError(f"Group/{lot_id} is not known here.", status_code=404, code="not-found")
        return _kick_off(request, level=BulkExport.Level.GROUP, lot=lot)


def _export_of(request: StaffAPIRequest, export_id) -> BulkExport:
    # Only who asked sees an export; anyone else is told it does not exist.
    export = (
        BulkExport.objects.filter(pk=export_id, requested_by=request.user)
        .exclude(status=BulkExport.Status.CANCELLED)
        .first()
    )
    if export is None or (export.expires_at and export.expires_at <= timezone.now()):
        raise FhirError(
            "No such export (it may have expired or been cancelled).",
            status_code=404,
            code="not-found",
        )
    return export


class ExportStatus(FhirView):
    def get(self, request: StaffAPIRequest, export_id) -> Response:
        export = _export_of(request, export_id)
        if export.status == BulkExport.Status.FAILED:
            return Response(operation_outcome(export.error, code="exception"), status=500)
        # A completed export has its start and expiry (bulk_export_run sets them with the
        # status), which the manifest names.
        if (
            export.status != BulkExport.Status.COMPLETED
            or export.started_at is None
            or export.expires_at is None
        ):
            progress = (
                f"{export.types_done} of {len(export.types)} types, "
                f"{export.resources_written} resources"
            )
            return Response(
                operation_outcome(progress, code="informational", severity="information"),
                status=202,
                headers={"X-Progress": progress, "Retry-After": "5"},
            )
        files = request.build_absolute_uri(f"/fhir/R4/$export-file/{export.pk}/")
        manifest = {
            "transactionTime": export.started_at.isoformat(),
            "request": export.request_url,
            "requiresAccessToken": True,
            "output": [
                {"type": out["type"], "url": f"{files}{out['file']}", "count": out["count"]}
                for out in export.output
            ],
            "error": [],
        }
        # The manifest is plain JSON, not a FHIR resource (Bulk Data 2.0).
        return Response(
            manifest,
            content_type="application/json",
            headers={"Expires": http_date(export.expires_at.timestamp())},
        )

    def delete(self, request: StaffAPIRequest, export_id) -> Response:
        bulk_export_cancel(export=_export_of(request, export_id), by=request.user)
        return Response(
            operation_outcome("Export cancelled.", code="informational", severity="information"),
            status=202,
        )


class ExportFile(FhirView):
    def get(self, request: StaffAPIRequest, export_id, file_name: str) -> FileResponse:
        export = _export_of(request, export_id)
        listed = {out["file"] for out in export.output}
        if export.status != BulkExport.Status.COMPLETED or file_name not in listed:
            raise FhirError(
                f"{file_name} is not part of this export.", status_code=404, code="not-found"
            )
        access_log_record(
            user=request.user,
            action=AccessLog.Action.EXPORT,
            subject="fhir:bulk-file",
            path=request.path,
            detail={"export": str(export.pk), "file": file_name},
        )
        return FileResponse(
            (bulk_export_directory(export) / file_name).open("rb"),
            content_type="application/fhir+ndjson",
        )
