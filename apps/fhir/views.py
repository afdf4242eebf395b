"""The FHIR R4 endpoints under /fhir/R4/. Thin: parse, call reading/bulk, log, answer.

Authentication is the REST API's (staff session or token), token first so that an
unsigned request is told 401 with a WWW-Authenticate header rather than 403."""

from django.utils import timezone
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.fhir.capability import capability_statement
from apps.fhir.errors import FhirError, fhir_exception_handler
from apps.fhir.reading import (
    Page,
    fhir_read,
    fhir_search_page,
    patient_of,
    resource_type_readable_by,
)
from apps.fhir.search import parse_search

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
    authentication_classes = [TokenAuthentication, SessionAuthentication]
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
    def get(self, request: Request, resource_type: str, resource_id: str) -> Response:
        served = resource_type_readable_by(request.user, resource_type)
        resource = fhir_read(user=request.user, resource_type=served, resource_id=resource_id)
        access_log_record(
            user=request.user,
            action=AccessLog.Action.API_READ,
            subject=f"fhir:{resource_type}",
            patient_id=patient_of(resource),
            object_id=served.position(resource_id)[0],
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
    def get(self, request: Request, resource_type: str) -> Response:
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
