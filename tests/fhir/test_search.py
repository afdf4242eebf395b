"""FHIR search: the registry's parameters, Bundle paging by next links, _include of the
patient, 400 OperationOutcomes for what we do not answer, and a constant query count."""

import datetime
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from apps.audit.models import AccessLog
from tests.builders import login_api
from tests.factories import (
    AdverseEventFactory,
    DoseFactory,
    MedicationFlagFactory,
    OutcomeAssessmentFactory,
    PatientFactory,
    VisitFactory,
)
from tests.fhir.helpers import validate

pytestmark = pytest.mark.django_db


def _search(client, path, **params):
    response = client.get(f"/fhir/R4/{path}", params)
    assert response.status_code == 200, response.content
    return validate(response.json())


def _ids(bundle, mode="match"):
    return [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == mode]


def _follow(client, bundle):
    """Every page of a search, following the next links."""
    pages = [bundle]
    while nxt := next(
        (link["url"] for link in pages[-1]["link"] if link["relation"] == "next"), None
    ):
        parts = urlsplit(nxt)
        response = client.get(f"{parts.path}?{parts.query}")
        assert response.status_code == 200
        pages.append(validate(response.json()))
    return pages


def test_search_by_patient_and_include(api_client, clinic, clinician):
    other = DoseFactory(visit=VisitFactory(clinician=clinician))
    login_api(api_client, clinician)
    bundle = _search(
        api_client,
        "MedicationAdministration",
        patient=f"Patient/{clinic.patient.pk}",
        _include="MedicationAdministration:patient",
    )
    assert _ids(bundle) == [str(clinic.knee.pk), str(clinic.face.pk)]
    assert _ids(bundle, "include") == [str(clinic.patient.pk)]
    assert str(other.pk) not in _ids(bundle)
    entry = AccessLog.objects.get(subject="fhir:MedicationAdministration")
    assert entry.action == AccessLog.Action.SEARCH
    assert entry.patient_id == clinic.patient.pk
    assert entry.detail["patients"] == [clinic.patient.pk]


def test_date_ranges(api_client, clinic, clinician):
    login_api(api_client, clinician)
    visited = timezone.localdate(clinic.visit.visited_at)
    day = visited.isoformat()
    assert _ids(_search(api_client, "Procedure", date=day)) == [str(clinic.visit.pk)]
    assert _ids(_search(api_client, "Procedure", date=f"gt{day}")) == []
    after = (visited + datetime.timedelta(days=1)).isoformat()
    assert _ids(_search(api_client, "Procedure", date=f"lt{after}")) == [str(clinic.visit.pk)]
    month = visited.strftime("%Y-%m")
    assert _ids(_search(api_client, "AdverseEvent", date=month)) == [str(clinic.event.pk)]
    assessed = (visited + datetime.timedelta(days=42)).isoformat()
    observations = _ids(_search(api_client, "Observation", date=f"ge{assessed}"))
    assert len(observations) == 4
    updated = clinic.patient.updated_at - datetime.timedelta(minutes=1)
    assert _ids(_search(api_client, "Patient", _lastUpdated=f"ge{updated.isoformat()}")) == [
        str(clinic.patient.pk)
    ]
    assert _ids(_search(api_client, "Patient", _lastUpdated="lt2000")) == []


def test_search_by_id_and_observation_parts(api_client, clinic, clinician):
    login_api(api_client, clinician)
    wanted = f"{clinic.assessment_id}-pgic,{clinic.assessment_id}-region"
    assert _ids(_search(api_client, "Observation", _id=wanted)) == wanted.split(",")
    assert _ids(_search(api_client, "Patient", _id=str(clinic.patient.pk))) == [
        str(clinic.patient.pk)
    ]


def test_paging_with_next_links_visits_every_resource_once(api_client, clinic, clinician):
    login_api(api_client, clinician)
    # Four scores on one assessment, pages of three: the page break falls inside it.
    pages = _follow(api_client, _search(api_client, "Observation", _count=3))
    assert [len(page["entry"]) for page in pages] == [3, 1]
    ids = [i for page in pages for i in _ids(page)]
    assert ids == [f"{clinic.assessment_id}-{m}" for m in ("pain", "pgic", "percent", "region")]
    PatientFactory.create_batch(4)
    pages = _follow(api_client, _search(api_client, "Patient", _count=2))
    assert [len(page["entry"]) for page in pages] == [2, 2, 1]
    assert len({i for page in pages for i in _ids(page)}) == 5


@pytest.mark.parametrize(
    "params",
    [
        {"name": "Ada"},
        {"patient": "Group/1"},
        {"date": "yesterday"},
        {"date": "2026-02-30"},
        {"_count": "0"},
        {"_count": "100000"},
        {"_include": "Procedure:performer"},
        {"_format": "xml"},
        {"_id": "x y"},
        {"_after": "abc"},
    ],
)
def test_what_we_do_not_answer_is_a_400_outcome(api_client, clinic, clinician, params):
    login_api(api_client, clinician)
    response = api_client.get("/fhir/R4/Procedure", params)
    assert response.status_code == 400, response.content
    body = validate(response.json())
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] in ("invalid", "not-supported")


def test_voided_visits_are_left_out_of_searches(api_client, clinic, clinician):
    login_api(api_client, clinician)
    clinic.visit.voided_at = timezone.now()
    clinic.visit.save()
    for name in ("Procedure", "MedicationAdministration", "Observation"):
        assert _ids(_search(api_client, name)) == []


# Queries of one page once the reader's permissions are loaded: the rows, then a prefetch
# of the doses (a visit's treated sites, an event's suspect doses), one query for the
# included patients, and the access-log row.
PAGE_QUERIES = {
    "Patient": 2,  # patients, log
    "Practitioner": 2,  # clinicians, log
    "Location": 2,  # locations, log
    "Medication": 2,  # lots with product and maker, log
    "Procedure": 4,  # visits, their doses, included patients, log
    "MedicationAdministration": 3,  # doses with visit, site and lot, patients, log
    "AdverseEvent": 4,  # events, their doses, patients, log
    "Flag": 3,  # flags with medication, patients, log
    "Observation": 3,  # assessments with dose and visit, patients, log
}


@pytest.mark.parametrize("name", list(PAGE_QUERIES))
def test_a_search_page_costs_the_same_queries_for_one_or_many_rows(
    api_client, clinic, clinician, name, django_assert_num_queries
):
    login_api(api_client, clinician)
    params = {"_count": 20}
    if name not in ("Medication", "Location", "Practitioner", "Patient"):
        params["_include"] = f"{name}:patient"
    _search(api_client, name, **params)
    with django_assert_num_queries(PAGE_QUERIES[name]):
        _search(api_client, name, **params)
    for _ in range(3):
        dose = DoseFactory(visit=VisitFactory())
        AdverseEventFactory(visit=dose.visit, doses=[dose])
        MedicationFlagFactory(medication__patient=dose.visit.patient)
        OutcomeAssessmentFactory(dose=dose, pgic=3)
    with django_assert_num_queries(PAGE_QUERIES[name]):
        bundle = _search(api_client, name, **params)
    assert len(_ids(bundle)) > 1
