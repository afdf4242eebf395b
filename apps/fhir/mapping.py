"""Our records as FHIR R4 resources (docs/fhir.md has the table).

Each function takes a record loaded by apps.fhir.selectors (joins included) and returns
the resource as a plain dict, ready for JSON: no query is made here, so a page or an
export chunk costs what its selector costs, whatever the number of rows."""

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings

from apps.accounts.models import User
from apps.clinic.models import ClinicProfile, Location
from apps.inventory.models import Lot
from apps.outcomes.models import OutcomeAssessment, RegionInstrument
from apps.patients.models import Patient
from apps.safety.models import AdverseEvent, MedicationFlag, Seriousness
from apps.treatments.models import Dose, Route, Visit

Resource = dict[str, Any]

UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
GS1_GTIN = "https://www.gs1.org/gtin"
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"

# The one organisation: the clinic profile is a singleton with primary key 1.
CLINIC_ORGANIZATION_ID = "1"

# SNOMED CT route codes for the routes that have a well-known one; others go as text.
# Keyed by the stored route value, which each Route member equals.
ROUTE_SNOMED: dict[str, str] = {
    Route.INTRA_ARTICULAR: "12130007",
    Route.INTRAMUSCULAR: "78421000",
    Route.SUBCUTANEOUS: "34206005",
    Route.INTRADERMAL: "372464004",
    Route.INTRAVENOUS: "47625008",
}

GENDER: dict[str, str] = {
    Patient.Sex.FEMALE: "female",
    Patient.Sex.MALE: "male",
    Patient.Sex.OTHER: "other",
    Patient.Sex.UNKNOWN: "unknown",
}

# AdverseEvent.outcome (R4 value set adverse-event-outcome, required binding).
# Keyed by the stored values, which stay when the choice classes are renamed.
AE_OUTCOME = {
    "recovered": ("resolved", "Resolved"),
    "recovering": ("recovering", "Recovering"),
    "not_recovered": ("ongoing", "Ongoing"),
    "sequelae": ("resolvedWithSequelae", "Resolved with Sequelae"),
    "fatal": ("fatal", "Fatal"),
    "unknown": ("unknown", "Unknown"),
}

# WHO-UMC causality terms (R4 adverse-event-causality-assess). "Not related" and "not yet
# assessed" have no WHO-UMC term and go as text only.
AE_CAUSALITY = {
    "related": "Certain",
    "probable": "Probably-Likely",
    "possible": "Possible",
    "unlikely": "Unlikely",
}

# Our own code system for the outcome measures that have no LOINC code we rely on.
OUTCOME_MEASURES = {
    "pgic": "Patient global impression of change (1-7)",
    "percent-better": "Self-rated improvement (percent)",
    RegionInstrument.KOOS: "KOOS (knee), 0-100",
    RegionInstrument.QUICKDASH: "QuickDASH (shoulder, arm, hand), 0-100",
    RegionInstrument.FACE_Q: "FACE-Q (face), 0-100",
}
PAIN_NRS_LOINC = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")


def system(name: str) -> str:
    """The URI of one of our identifier or code systems, e.g. system("mrn")."""
    return f"{settings.FHIR_SYSTEM_BASE}/{name}"


def instant(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat()


def _meta(updated_at: datetime.datetime | None) -> dict[str, Any]:
    return {"meta": {"lastUpdated": instant(updated_at)}} if updated_at else {}


def reference(resource_type: str, pk: Any, display: str = "") -> dict[str, str]:
    ref = {"reference": f"{resource_type}/{pk}"}
    if display:
        ref["display"] = display
    return ref


def _number(value: Decimal) -> float | int:
    # JSON numbers: 4.00 billions is 4, 2.5 stays 2.5.
    return int(value) if value == value.to_integral_value() else float(value)


def _text(text: str) -> dict[str, str]:
    return {"text": text}


def patient(record: Patient) -> Resource:
    """Identity only: the clinical fields (risk profile) are free text kept for staff and
    are never served, so no role sees more here than the front desk may."""
    telecom = []
    if record.phone:
        telecom.append({"system": "phone", "value": record.phone, "use": "home"})
    if record.email:
        telecom.append({"system": "email", "value": record.email, "use": "home"})
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(record.pk),
        **_meta(record.updated_at),
        "identifier": [
            {"use": "usual", "system": system("mrn"), "value": record.mrn},
        ],
        "active": True,
        "name": [{"use": "official", "family": record.last_name, "given": [record.first_name]}],
        "gender": GENDER[record.sex],
        "birthDate": record.date_of_birth.isoformat(),
    }
    if telecom:
        resource["telecom"] = telecom
    return resource


def practitioner(user: User) -> Resource:
    name: dict[str, Any] = {"text": str(user)}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    return {
        "resourceType": "Practitioner",
        "id": str(user.pk),
        "identifier": [{"system": system("staff"), "value": user.username}],
        "active": user.is_active,
        "name": [name],
    }


def organization(profile: ClinicProfile) -> Resource:
    resource: Resource = {
        "resourceType": "Organization",
        "id": CLINIC_ORGANIZATION_ID,
        **_meta(profile.updated_at),
        "active": True,
        "type": [{"coding": [{"system": f"{TERMINOLOGY}/organization-type", "code": "prov"}]}],
        "name": profile.name,
    }
    if profile.contact_phone:
        resource["telecom"] = [{"system": "phone", "value": profile.contact_phone}]
    return resource


def location(record: Location) -> Resource:
    resource: Resource = {
        "resourceType": "Location",
        "id": str(record.pk),
        "status": "active" if record.active else "inactive",
        "name": record.name,
        "mode": "instance",
        "managingOrganization": reference("Organization", CLINIC_ORGANIZATION_ID),
    }
    if record.address:
        resource["address"] = {"text": record.address}
    return resource


def medication(lot: Lot) -> Resource:
    """One Medication per lot: the product, who made it, and the batch."""
    product = lot.product
    code: dict[str, Any] = {"text": product.name}
    if product.gtin:
        code["coding"] = [{"system": GS1_GTIN, "code": product.gtin, "display": product.name}]
    return {
        "resourceType": "Medication",
        "id": str(lot.pk),
        **_meta(lot.updated_at),
        "identifier": [{"system": system("lot"), "value": str(lot.pk)}],
        "code": code,
        # A quarantined or recalled lot may not be used: inactive.
        "status": "active" if lot.status == Lot.Status.AVAILABLE else "inactive",
        # The manufacturer is named, not served as a resource of its own.
        "manufacturer": {"display": product.manufacturer.name},
        "batch": {"lotNumber": lot.lot_number, "expirationDate": lot.expiry_date.isoformat()},
    }


def _site_text(dose: Dose) -> str:
    side = dose.get_laterality_display() if dose.laterality != "na" else ""
    return f"{dose.site.name} ({side.lower()})" if side else dose.site.name


def _route(route: str) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": Route(route).label}
    if route in ROUTE_SNOMED:
        concept["coding"] = [
            {"system": SNOMED, "code": ROUTE_SNOMED[route], "display": Route(route).label}
        ]
    return concept


def medication_administration(dose: Dose) -> Resource:
    visit = dose.visit
    return {
        "resourceType": "MedicationAdministration",
        "id": str(dose.pk),
        **_meta(visit.updated_at),
        "status": "completed",
        "partOf": [reference("Procedure", visit.pk)],
        "medicationReference": reference("Medication", dose.lot_id, str(dose.lot.lot_number)),
        "subject": reference("Patient", visit.patient_id),
        "effectiveDateTime": instant(visit.visited_at),
        "performer": [{"actor": reference("Practitioner", visit.clinician_id)}],
        "dosage": {
            "site": _text(_site_text(dose)),
            "route": _route(dose.route),
            "dose": {
                "value": _number(dose.billions),
                "unit": "billion particles",
                "system": UCUM,
                "code": "10*9",
            },
        },
    }


def procedure(visit: Visit) -> Resource:
    """One Procedure per visit; its doses are the MedicationAdministrations partOf it."""
    sites = list(dict.fromkeys(_site_text(dose) for dose in visit.doses.all()))
    resource: Resource = {
        "resourceType": "Procedure",
        "id": str(visit.pk),
        **_meta(visit.updated_at),
        "status": "completed",
        "code": _text("MSC-exosome injection"),
        "subject": reference("Patient", visit.patient_id),
        "performedDateTime": instant(visit.visited_at),
        "performer": [{"actor": reference("Practitioner", visit.clinician_id)}],
        "location": reference("Location", visit.location_id, visit.location.name),
        "reasonCode": [_text(visit.indication)],
    }
    if sites:
        resource["bodySite"] = [_text(site) for site in sites]
    return resource


def _severity(grade: int) -> dict[str, Any]:
    # R4's severity is mild | moderate | severe (required); CTCAE grades 3-5 are severe.
    code = {1: "mild", 2: "moderate"}.get(grade, "severe")
    return {
        "coding": [
            {
                "system": f"{TERMINOLOGY}/adverse-event-severity",
                "code": code,
                "display": code.capitalize(),
            }
        ],
        "text": f"CTCAE grade {grade}",
    }


def _causality(event: AdverseEvent) -> dict[str, Any]:
    value = event.causality
    assessment: dict[str, Any] = {"text": event.get_causality_display()}
    if value in AE_CAUSALITY:
        assessment["coding"] = [
            {"system": f"{TERMINOLOGY}/adverse-event-causality-assess", "code": AE_CAUSALITY[value]}
        ]
    return {"assessment": assessment}


def adverse_event(event: AdverseEvent) -> Resource:
    serious = event.is_serious
    seriousness: dict[str, Any] = {
        "coding": [
            {
                "system": f"{TERMINOLOGY}/adverse-event-seriousness",
                "code": "serious" if serious else "non-serious",
                "display": "Serious" if serious else "Non-serious",
            }
        ]
    }
    if serious:
        seriousness["text"] = ", ".join(Seriousness(value).label for value in event.seriousness)
    outcome_code, outcome_display = AE_OUTCOME[event.outcome]
    name = event.event_type.name
    if event.description:
        name = f"{name}: {event.description}"
    return {
        "resourceType": "AdverseEvent",
        "id": str(event.pk),
        **_meta(event.updated_at),
        "actuality": "actual",
        "event": {
            "coding": [{"system": system("adverse-event-type"), "code": event.event_type.code}],
            "text": name,
        },
        "subject": reference("Patient", event.patient_id),
        "date": event.onset_date.isoformat(),
        "recordedDate": instant(event.created_at),
        "seriousness": seriousness,
        "severity": _severity(event.grade),
        "outcome": {
            "coding": [
                {
                    "system": f"{TERMINOLOGY}/adverse-event-outcome",
                    "code": outcome_code,
                    "display": outcome_display,
                }
            ]
        },
        "suspectEntity": [
            {
                "instance": reference("MedicationAdministration", dose.pk),
                "causality": [_causality(event)],
            }
            for dose in event.doses.all()
        ],
    }


def flag(record: MedicationFlag) -> Resource:
    period: dict[str, str] = {"start": instant(record.created_at)}
    if record.resolved_at:
        period["end"] = instant(record.resolved_at)
    medicine = f"{record.medication.name} ({record.medication_class.name})"
    return {
        "resourceType": "Flag",
        "id": str(record.pk),
        **_meta(record.updated_at),
        "status": "inactive" if record.status == MedicationFlag.Status.RESOLVED else "active",
        "category": [
            {
                "coding": [
                    {"system": f"{TERMINOLOGY}/flag-category", "code": "drug", "display": "Drug"}
                ]
            }
        ],
        "code": {
            "coding": [
                {
                    "system": system("medication-flag"),
                    "code": record.status,
                    "display": record.get_status_display(),
                }
            ],
            "text": f"Review {medicine} after treatment: {record.reason}",
        },
        "subject": reference("Patient", record.patient_id),
        "period": period,
    }


# Observation ids are "<assessment id>-<measure>", e.g. "12-pain": one per score.
OBSERVATION_MEASURES = ("pain", "pgic", "percent", "region")


def _observation_values(record: OutcomeAssessment) -> Iterator[tuple[str, dict, dict]]:
    yield (
        "pain",
        {
            "coding": [{"system": LOINC, "code": PAIN_NRS_LOINC[0], "display": PAIN_NRS_LOINC[1]}],
            "text": "Pain (0-10)",
        },
        {"valueInteger": record.pain},
    )
    if record.pgic is not None:
        yield (
            "pgic",
            {
                "coding": [
                    {
                        "system": system("outcome-measure"),
                        "code": "pgic",
                        "display": OUTCOME_MEASURES["pgic"],
                    }
                ]
            },
            {"valueInteger": record.pgic},
        )
    if record.percent_better is not None:
        yield (
            "percent",
            {
                "coding": [
                    {
                        "system": system("outcome-measure"),
                        "code": "percent-better",
                        "display": OUTCOME_MEASURES["percent-better"],
                    }
                ]
            },
            {
                "valueQuantity": {
                    "value": record.percent_better,
                    "unit": "%",
                    "system": UCUM,
                    "code": "%",
                }
            },
        )
    if record.region_score is not None:
        yield (
            "region",
            {
                "coding": [
                    {
                        "system": system("outcome-measure"),
                        "code": record.region_instrument,
                        "display": OUTCOME_MEASURES[record.region_instrument],
                    }
                ]
            },
            # R4 Observations have no decimal value: a unitless UCUM quantity.
            {
                "valueQuantity": {
                    "value": _number(record.region_score),
                    "unit": "score",
                    "system": UCUM,
                    "code": "{score}",
                }
            },
        )


def observations(record: OutcomeAssessment) -> Iterator[Resource]:
    """One Observation per score of an assessment, on the episode's treated site."""
    for measure, code, value in _observation_values(record):
        yield {
            "resourceType": "Observation",
            "id": f"{record.pk}-{measure}",
            **_meta(record.updated_at),
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": f"{TERMINOLOGY}/observation-category",
                            "code": "survey",
                            "display": "Survey",
                        }
                    ]
                }
            ],
            "code": code,
            "subject": reference("Patient", record.dose.visit.patient_id),
            "partOf": [reference("MedicationAdministration", record.dose_id)],
            "effectiveDateTime": record.assessed_on.isoformat(),
            "bodySite": _text(_site_text(record.dose)),
            **value,
        }
