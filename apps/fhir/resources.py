"""The resource types served, in one table: where their records come from, how they map,
and which search parameters they answer. The views, the CapabilityStatement and the Bulk
export all read this table, so what is listed is exactly what is served."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet

from apps.accounts.models import User
from apps.fhir import mapping, selectors
from apps.fhir.mapping import Resource
from exotrack.query_ids import parse_id

# The model whose records a resource type serves: its selector and mapping agree on it.
Record = TypeVar("Record", bound=Model)


@dataclass(frozen=True)
class ResourceType(Generic[Record]):
    name: str
    # The records the reader may see.
    records: Callable[[User], QuerySet[Record]]
    # One record gives one resource, except an assessment: one Observation per score.
    resources: Callable[[Record], Iterable[Resource]]
    # The permission a reader needs to read this type at all (else 403).
    permission: str
    # Lookups for the search parameters; "" when the type has no such parameter.
    patient: str = ""
    date: str = ""
    last_updated: str = ""
    # Sub-resource names of one record, in order (Observation ids are "<pk>-<measure>").
    parts: tuple[str, ...] = ()
    # Part of a Patient/$export or Group/$export: the patient's own records.
    in_patient_compartment: bool = False

    def position(self, resource_id: str) -> tuple[int, int] | None:
        """(record pk, part index) of a resource id, None for an id we never issue."""
        if self.parts:
            pk, _, part = resource_id.partition("-")
            if part not in self.parts:
                return None
        else:
            pk, part = resource_id, ""
        record_id = parse_id(pk)
        if record_id is None:
            return None
        return record_id, self.parts.index(part) if part else 0

    def part_index(self, resource: Resource) -> int:
        # The resources mapped here carry the ids this table issues, so a typed part has
        # a position.
        position = self.position(resource["id"]) if self.parts else None
        return position[1] if position is not None else 0

    def search_parameters(self) -> list[str]:
        names = ["_id"]
        if self.last_updated:
            names.append("_lastUpdated")
        if self.patient and self.name != "Patient":
            names.append("patient")
        if self.date:
            names.append("date")
        return names


def _one(function: Callable[[Record], Resource]) -> Callable[[Record], Iterable[Resource]]:
    return lambda record: (function(record),)


# Each row serves its own model, so the table holds resource types of any record.
RESOURCE_TYPES: dict[str, ResourceType[Any]] = {
    rt.name: rt
    for rt in (
        ResourceType(
            name="Patient",
            records=selectors.fhir_patients,
            resources=_one(mapping.patient),
            permission="patients.view_patient",
            patient="pk",
            last_updated="updated_at",
            in_patient_compartment=True,
        ),
        ResourceType(
            name="Practitioner",
            records=selectors.fhir_practitioners,
            resources=_one(mapping.practitioner),
            permission="treatments.view_visit",
        ),
        ResourceType(
            name="Organization",
            records=selectors.fhir_organizations,
            resources=_one(mapping.organization),
            permission="clinic.view_clinicprofile",
            last_updated="updated_at",
        ),
        ResourceType(
            name="Location",
            records=selectors.fhir_locations,
            resources=_one(mapping.location),
            permission="clinic.view_location",
        ),
        ResourceType(
            name="Medication",
            records=selectors.fhir_medications,
            resources=_one(mapping.medication),
            permission="inventory.view_lot",
            last_updated="updated_at",
        ),
        ResourceType(
            name="Procedure",
            records=selectors.fhir_procedures,
            resources=_one(mapping.procedure),
            permission="treatments.view_visit",
            patient="patient_id",
            date="visited_at",
            last_updated="updated_at",
            in_patient_compartment=True,
        ),
        ResourceType(
            name="MedicationAdministration",
            records=selectors.fhir_medication_administrations,
            resources=_one(mapping.medication_administration),
            permission="treatments.view_dose",
            patient="visit__patient_id",
            date="visit__visited_at",
            last_updated="visit__updated_at",
            in_patient_compartment=True,
        ),
        ResourceType(
            name="AdverseEvent",
            records=selectors.fhir_adverse_events,
            resources=_one(mapping.adverse_event),
            permission="safety.view_adverseevent",
            patient="patient_id",
            date="onset_date",
            last_updated="updated_at",
            in_patient_compartment=True,
        ),
        ResourceType(
            name="Flag",
            records=selectors.fhir_flags,
            resources=_one(mapping.flag),
            permission="safety.view_medicationflag",
            patient="patient_id",
            date="created_at",
            last_updated="updated_at",
            in_patient_compartment=True,
        ),
        ResourceType(
            name="Observation",
            records=selectors.fhir_assessments,
            resources=mapping.observations,
            permission="outcomes.view_outcomeassessment",
            patient="dose__visit__patient_id",
            date="assessed_on",
            last_updated="updated_at",
            parts=mapping.OBSERVATION_MEASURES,
            in_patient_compartment=True,
        ),
    )
}
