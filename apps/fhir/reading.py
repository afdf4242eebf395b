"""Reads of FHIR resources for one reader: one by id, or one page of a search.

A page costs the same few queries however many rows match and however deep it is: the
records after the last id seen (keyset, not OFFSET), their prefetches, and one query for
the included patients."""

from dataclasses import dataclass, field
from typing import Any

from apps.accounts.models import User
from apps.fhir.errors import FhirError
from apps.fhir.mapping import Resource
from apps.fhir.resources import RESOURCE_TYPES, ResourceType
from apps.fhir.search import Search
from apps.fhir.selectors import fhir_patients


@dataclass
class Page:
    resources: list[Resource]
    next_after: str = ""
    included: list[Resource] = field(default_factory=list)

    def patient_ids(self) -> list[int]:
        return sorted({pid for resource in self.resources if (pid := patient_of(resource))})


def patient_of(resource: Resource) -> int | None:
    """The patient a resource is about (its own id for a Patient), None for the rest."""
    if resource["resourceType"] == "Patient":
        return int(resource["id"])
    subject = resource.get("subject", {}).get("reference", "")
    return int(subject.removeprefix("Patient/")) if subject.startswith("Patient/") else None


def resource_type_readable_by(user: User, name: str) -> ResourceType[Any]:
    resource_type = RESOURCE_TYPES.get(name)
    if resource_type is None:
        raise FhirError(
            f"{name!r} is not a resource type served here.", status_code=404, code="not-supported"
        )
    if not user.has_perm(resource_type.permission):
        raise FhirError(
            f"Your role may not read {name} resources.", status_code=403, code="forbidden"
        )
    return resource_type


def fhir_read(*, user: User, resource_type: ResourceType[Any], resource_id: str) -> Resource:
    position = resource_type.position(resource_id)
    record = None
    if position is not None:
        record = resource_type.records(user).filter(pk=position[0]).first()
    for resource in resource_type.resources(record) if record is not None else ():
        if resource["id"] == resource_id:
            return resource
    raise FhirError(
        f"{resource_type.name}/{resource_id} is not known here.", status_code=404, code="not-found"
    )


def fhir_search_page(*, user: User, resource_type: ResourceType[Any], search: Search) -> Page:
    records = resource_type.records(user).filter(search.filters)
    if search.after is not None:
        after_pk = search.after[0]
        # A record split into parts may have some left to serve after the last one seen.
        records = (
            records.filter(pk__gte=after_pk)
            if resource_type.parts
            else records.filter(pk__gt=after_pk)
        )
    limit = search.count + 1
    rows = list(records[:limit])
    resources = []
    for record in rows:
        for resource in resource_type.resources(record):
            if (
                search.after is not None
                and record.pk == search.after[0]
                and (resource_type.part_index(resource) <= search.after[1])
            ):
                continue
            if search.ids and resource["id"] not in search.ids:
                continue
            resources.append(resource)
    page = Page(resources=resources[: search.count])
    if page.resources and (len(resources) > search.count or len(rows) == limit):
        page.next_after = page.resources[-1]["id"]
    if search.include_patients and page.resources and user.has_perm("patients.view_patient"):
        patients = RESOURCE_TYPES["Patient"]
        page.included = [
            resource
            for record in fhir_patients(user).filter(pk__in=page.patient_ids())
            for resource in patients.resources(record)
        ]
    return page
