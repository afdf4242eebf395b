"""What a hostile caller tried against the API and pages, answered without a server error:
deep or huge JSON bodies, undeclared methods and the browsable format, anonymous calls,
floods of requests, and the headers every answer carries."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.parsers import JSONParser as PlainJSONParser
from rest_framework.test import APIClient

from exotrack.api.parsers import JSONParser
from tests.factories import PatientFactory

PATIENTS = "/api/v1/patients/"


@pytest.fixture
def patient(db):
    return PatientFactory()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
@pytest.mark.parametrize(
    "path", [PATIENTS, "/api/v1/visits/", "/api/v1/adverse-events/", "/api/v1/follow-ups/"]
)
def test_too_deeply_nested_json_is_a_400_at_any_depth(api_client, clinician, depth, path):
    api_client.force_authenticate(clinician)

    response = api_client.post(path, data=_nested(depth), content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_nesting_within_the_limit_reaches_the_serializer(api_client, clinician):
    api_client.force_authenticate(clinician)
    body = '{"first_name": ' + _nested(31) + "}"

    response = api_client.post(PATIENTS, data=body, content_type="application/json")

    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} >= {"first_name"}


def test_brackets_inside_strings_do_not_count_as_nesting(api_client, clinician):
    api_client.force_authenticate(clinician)
    body = '{"first_name": "' + "[" * 100 + '\\"' + "{" * 100 + '"}'

    response = api_client.post(PATIENTS, data=body, content_type="application/json")

    assert response.status_code == 400
    assert "parse_error" not in {error["code"] for error in response.json()["errors"]}


def test_a_body_over_the_upload_limit_is_refused(api_client, clinician, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    api_client.force_authenticate(clinician)
    body = '{"first_name": "' + "x" * 2000 + '"}'

    response = api_client.post(PATIENTS, data=body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "request_too_large"
    # And the schema says so, for every operation that takes a body.
    schema = SchemaGenerator().get_schema(request=None, public=True)
    with_body = [
        op for path in schema["paths"].values() for op in path.values() if "requestBody" in op
    ]
    assert with_body and all("413" in op["responses"] for op in with_body)
    codes = schema["components"]["schemas"]["ErrorCode413Enum"]["enum"]
    assert codes == [response.json()["errors"][0]["code"]]


def _api_paths(patient) -> list[str]:
    return [
        PATIENTS,
        f"{PATIENTS}{patient.pk}/",
        f"{PATIENTS}{patient.pk}/medications/",
        f"{PATIENTS}{patient.pk}/medications/1/stop/",
        "/api/v1/visits/",
        "/api/v1/lots/",
        "/api/v1/follow-ups/",
        "/api/v1/adverse-events/",
    ]


@pytest.mark.parametrize("user_fixture", ["clinician", "nurse", "front_desk", "outsider"])
def test_undeclared_methods_and_the_browsable_format_never_fail(
    api_client, request, user_fixture, patient
):
    api_client.force_authenticate(request.getfixturevalue(user_fixture))
    for path in _api_paths(patient):
        for method, query in [("TRACE", ""), ("TRACE", "?format=api"), ("GET", "?format=api")]:
            response = api_client.generic(method, path + query)
            assert response.status_code < 500, (method, path + query)
            if method == "TRACE":
                assert response.status_code in (403, 404, 405), (method, path + query)


def test_an_anonymous_api_call_is_a_401_with_a_challenge(api_client, patient):
    response = api_client.get(PATIENTS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["errors"][0]["code"] == "not_authenticated"


def test_an_anonymous_visitor_of_a_staff_page_is_sent_to_sign_in(client, patient):
    page = reverse("patients:detail", args=[patient.pk])

    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={page}"


def test_a_signed_in_user_without_the_permission_still_gets_403(client, outsider, patient):
    client.force_login(outsider)

    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 403


def test_patient_pages_and_api_answers_are_not_stored(client, api_client, clinician, patient):
    client.force_login(clinician)
    api_client.force_authenticate(clinician)

    for response in (
        client.get(reverse("patients:detail", args=[patient.pk])),
        api_client.get(f"{PATIENTS}{patient.pk}/"),
    ):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_every_answer_names_the_browser_features_it_refuses(client, db):
    response = client.get(reverse("login"))

    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


@pytest.fixture
def fresh_counts():
    """Throttle counts start from zero (the test cache lives as long as the process)."""
    cache.clear()


def test_the_api_throttles_each_account(clinician, nurse, settings, fresh_counts):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"account": "3/hour", "address": "100/hour"},
    }
    first, second = APIClient(), APIClient()
    first.force_authenticate(clinician)
    second.force_authenticate(nurse)

    answers = [first.get(PATIENTS).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    assert second.get(PATIENTS).status_code == 200


def test_the_api_throttles_each_address_whatever_the_account(
    clinician, nurse, settings, fresh_counts
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"account": "100/hour", "address": "3/hour"},
    }
    first, second = APIClient(), APIClient()
    first.force_authenticate(clinician)
    second.force_authenticate(nurse)

    answers = [first.get(PATIENTS).status_code for _ in range(3)]
    from_the_same_address = second.get(PATIENTS)
    from_another = second.get(PATIENTS, REMOTE_ADDR="10.9.9.9")

    assert answers == [200, 200, 200]
    assert from_the_same_address.status_code == 429
    assert "Retry-After" in from_the_same_address
    assert from_another.status_code == 200


def test_date_times_are_answered_in_utc(api_client, clinician, patient, settings):
    settings.TIME_ZONE = "America/New_York"
    api_client.force_authenticate(clinician)

    created_at = api_client.get(f"{PATIENTS}{patient.pk}/").json()["created_at"]

    assert created_at.endswith("Z")
    assert created_at.startswith(
        patient.created_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M")
    )


def _api_views(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _api_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            view = getattr(entry.callback, "cls", None)
            if view is not None:
                yield prefix + str(entry.pattern), view


def test_every_api_view_reads_json_through_the_depth_check():
    views = list(_api_views(get_resolver().url_patterns))
    assert len(views) > 30
    unchecked = sorted(
        {
            f"{path} {view.__name__}"
            for path, view in views
            for parser in view.parser_classes
            if issubclass(parser, PlainJSONParser) and not issubclass(parser, JSONParser)
        }
    )
    assert unchecked == []
