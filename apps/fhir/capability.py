"""The CapabilityStatement, written from the table of served types: it lists exactly the
types, interactions, search parameters and operations the views answer."""

from django.conf import settings

from apps.fhir.resources import RESOURCE_TYPES

_SEARCH_PARAMETER_TYPES = {
    "_id": "token",
    "_lastUpdated": "date",
    "patient": "reference",
    "date": "date",
}
BULK_PATIENT_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"
BULK_GROUP_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"


def _resource(resource_type) -> dict:
    entry = {
        "type": resource_type.name,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            {"name": name, "type": _SEARCH_PARAMETER_TYPES[name]}
            for name in resource_type.search_parameters()
        ],
    }
    if resource_type.patient and resource_type.name != "Patient":
        entry["searchInclude"] = [f"{resource_type.name}:patient"]
    if resource_type.name == "Patient":
        entry["operation"] = [{"name": "export", "definition": BULK_PATIENT_EXPORT}]
    return entry


def capability_statement(*, base_url: str, published: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published,
        "publisher": "ExoTrack",
        "kind": "instance",
        "software": {"name": "ExoTrack"},
        "implementation": {
            "description": "ExoTrack FHIR R4 read API and Bulk Data export",
            "url": base_url,
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "instantiates": ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Sign in with the staff session or send 'Authorization: Token <key>'. "
                    f"Pages hold {settings.FHIR_PAGE_SIZE} resources unless _count says "
                    f"otherwise (at most {settings.FHIR_PAGE_SIZE_MAX}). Voided records are "
                    "not served."
                ),
                "security": {
                    "description": "Session or token authentication; each role "
                    "reads only the types and patients it may see."
                },
                "resource": [
                    *(_resource(rt) for rt in RESOURCE_TYPES.values()),
                    {
                        "type": "Group",
                        "documentation": "A Group is the recipients of one lot (its id is "
                        "the lot's): only its $export is served.",
                        "operation": [{"name": "export", "definition": BULK_GROUP_EXPORT}],
                    },
                ],
            }
        ],
    }
