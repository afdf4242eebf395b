"""Shared by the FHIR tests: the R4 validator."""

from fhir.resources import construct_fhir_element


def validate(resource: dict) -> dict:
    """Parse with the R4 (4.0.1) models of fhir.resources: raises on anything invalid."""
    construct_fhir_element(resource["resourceType"], resource)
    return resource
