"""Every date, number and id the API and the pages take, fed the values a hostile caller
tries first: the calendar's ends, digits `int()` refuses, numbers too large for any
column, negative numbers. None gives a 500, and nothing is saved by a refused request.

The API's fields come from its own OpenAPI schema, so an endpoint added later is fed the
same values without a change here; the pages' query ids and date filters are listed."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.builders import assert_nothing_changed, login_api

pytestmark = pytest.mark.django_db

DATES = ["0001-01-01", "9999-12-31"]
DATE_TIMES = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
NUMBERS = ["\u00b2", "\u0663", 10**30, -(10**30), -1, 2**63]
IDS = ["\u00b2", "\uff11", str(10**30), "-1", str(2**63)]


def _values(prop: dict) -> list:
    if prop.get("readOnly"):
        return []
    kind, shape = prop.get("type"), prop.get("format")
    if kind == "string" and shape == "date":
        return DATES
    if kind == "string" and shape == "date-time":
        return DATE_TIMES
    if kind in ("integer", "number") or (kind == "string" and shape == "decimal"):
        return NUMBERS
    return []


def _properties(schema: dict, body: dict) -> dict:
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    return body.get("properties", {})


def _operations() -> list[tuple[str, str, dict]]:
    """(method, path with ids filled in, one request's query or body) for every boundary
    value of every date, number and id of every operation."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    cases = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch"):
                continue
            # An id in the path: each bad id, the rest of the request empty.
            if "{" in path:
                for bad in IDS:
                    cases.append((method, re.sub(r"\{[^}]+\}", bad, path), {}))
                concrete = re.sub(r"\{[^}]+\}", "1", path)
            else:
                concrete = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    for value in _values(parameter.get("schema", {})):
                        cases.append((method, concrete, {parameter["name"]: value}))
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema", {})
            for name, prop in _properties(schema, body).items():
                for value in _values(prop):
                    cases.append((method, concrete, {name: value}))
                items = prop.get("items", {})
                for inner, inner_prop in _properties(schema, items).items():
                    for value in _values(inner_prop):
                        cases.append((method, concrete, {name: [{inner: value}]}))
    return cases


def test_every_api_operation_survives_the_boundary_values(api_client, manager, known_clinic):
    client = login_api(api_client, manager)
    cases = _operations()
    assert len(cases) > 100, "the schema names the API's fields"
    failures = []
    with assert_nothing_changed():
        for method, path, data in cases:
            if method == "get":
                response = client.get(path, data)
            else:
                response = getattr(client, method)(path, data, format="json")
            if response.status_code >= 500 or (
                response.status_code in (200, 201) and method != "get"
            ):
                failures.append((method, path, data, response.status_code))
    assert not failures, failures


PAGES = [
    ("/reports/", ["date_from", "date_to"]),
    ("/reports/exports/outcomes.csv", ["date_from", "date_to"]),
    ("/audit/access-log/", ["date_from", "date_to"]),
    ("/treatments/visits/", ["date_from", "date_to"]),
    ("/safety/adverse-events/", ["onset_from", "onset_to"]),
    ("/treatments/visits/new/", ["patient"]),
    ("/follow-ups/new/", ["patient"]),
    ("/safety/adverse-events/new/", ["visit", "self_report"]),
    ("/outcomes/record/", ["follow_up", "dose"]),
    ("/inventory/lots/usable/", ["product", "on"]),
    ("/treatments/visits/lots/", ["on"]),
    ("/inventory/lots/", ["product", "page"]),
    ("/patients/", ["page"]),
]


@pytest.mark.parametrize(("url", "names"), PAGES)
def test_every_page_survives_the_boundary_values(client, manager, clinician, url, names):
    for user in (manager, clinician):
        client.force_login(user)
        for name in names:
            for value in [*DATES, *IDS, *map(str, NUMBERS)]:
                response = client.get(url, {name: value})
                assert response.status_code < 500, (user, url, name, value)
