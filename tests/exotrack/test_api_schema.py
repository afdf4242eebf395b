"""The whole REST API, fuzzed from its own live OpenAPI schema.

Every operation /api/schema/ lists is exercised, so endpoints added later are covered
without touching this file. Schemathesis generates valid and invalid requests per
operation and runs all its default checks on each response (no server error, status
codes and bodies as documented, invalid input refused, no access without credentials),
once as a clinic manager and once as a clinician, over the seeded demo clinic.
"""

import io
import re

import pytest
import requests
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from apps.accounts.models import User
from apps.accounts.services.api_tokens import api_token_create

# Bounded so ~40 operations x 2 roles x 2 modes fuzz in under a minute on an idle
# two-core machine (38 operations took about 20 s per role at 10 examples).
EXAMPLES_PER_OPERATION = 8

# All default checks, two adjusted to how Django REST framework is meant to behave:
# - a schema-valid request may still name a row that does not exist (a random patient or
#   location id): the API answers with a documented 400 and a field-level message, which
#   the response-conformance check still verifies;
# - DRF deliberately coerces some schema-violating input (42 becomes "42" in a text
#   field, an unusable page_size falls back to the default), so "accepted" is not a fault.
#   Invalid input is still sent, and must never cause a server error or an undocumented
#   response;
# - the fuzzer sends the documented Idempotency-Key header and may send one value with two
#   different bodies: the documented 422 is then the right answer.
ACCEPTED_FOR_VALID_DATA = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429"]


def _fuzz_config(*, token: str) -> SchemathesisConfig:
    # The token as the schema's own `tokenAuth` scheme, so the authentication checks know
    # the credentials are real and probe the API without them and with forged ones.
    return SchemathesisConfig.from_dict(
        {
            "auth": {"openapi": {"tokenAuth": {"api_key": f"Token {token}"}}},
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ACCEPTED_FOR_VALID_DATA},
                "negative_data_rejection": {"enabled": False},
            },
        }
    )


def _live_schema(*, by: User, url: str):
    """The live server's schema as schemathesis reads it, and the headers of a fresh
    API token of `by` that every case is sent with."""
    _, token = api_token_create(by=by, name="Schema", days=1, second_factor_passed=False)
    headers = {"Authorization": f"Token {token}"}
    schema = schemathesis.openapi.from_url(
        f"{url}/api/schema/?format=json",
        headers=headers,
        timeout=30,
        config=_fuzz_config(token=token),
    )
    return schema, headers


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    # The same cases on every run, so CI and a developer see the same findings; a wider
    # search is a run with more examples, not a different draw each time.
    derandomize=True,
    # No shrinking: a failure is reported as found, which keeps a failing run as quick
    # as a passing one (shrinking against a live server takes minutes).
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(params=["manager", "clinician"])
def api_user(request, live_server) -> User:
    """A demo account of the role, on a database holding the demo clinic's rows."""
    call_command("seed", "--demo", skip_checks=True, stdout=io.StringIO())
    return User.objects.get(username=request.param)


# "/api/v1/patients/{id}/medications/" -> the collection "/api/v1/patients/" and "id".
_FIRST_PATH_PARAMETER = re.compile(r"^(?P<collection>.*?/)\{(?P<name>[^}]+)\}/")


def _existing_ids(path: str, *, base_url: str, headers: dict[str, str]) -> dict[str, list]:
    """Ids of a few rows the user can list, for the first path parameter of `path`.

    Random ids almost always miss (404); mixing in real ones makes the detail, update
    and action operations run against seeded rows too."""
    match = _FIRST_PATH_PARAMETER.match(path)
    if match is None:
        return {}
    response = requests.get(
        f"{base_url}{match['collection']}", headers=headers, params={"page_size": 3}, timeout=30
    )
    if response.status_code != 200:
        return {}
    body = response.json()
    rows = body.get("results", []) if isinstance(body, dict) else body
    return {match["name"]: [row["id"] for row in rows[:3] if "id" in row]}


def _failures_of(
    operation, *, base_url: str, headers: dict[str, str], cases: list[int]
) -> dict[str, Exception]:
    """Fuzz one operation in both modes; `cases` counts the requests sent."""
    known = _existing_ids(operation.path, base_url=base_url, headers=headers)
    failures = {}
    for mode in GenerationMode:
        strategy = st.one_of(
            operation.as_strategy(generation_mode=mode),
            *(
                operation.as_strategy(generation_mode=mode, path_parameters={name: value})
                for name, values in known.items()
                for value in values
            ),
        )

        @given(case=strategy)
        @FUZZ_SETTINGS
        def exercise(case) -> None:
            cases.append(1)
            case.call_and_validate(base_url=base_url, timeout=30)

        try:
            exercise()
        except Unsatisfiable:
            # An operation without parameters or body (e.g. GET me/) has no invalid request.
            if mode is not GenerationMode.NEGATIVE:
                raise
        # Schemathesis reports its findings as a BaseExceptionGroup; any error counts too.
        except (Exception, BaseExceptionGroup) as failure:
            failures[f"{operation.label} ({mode.value})"] = failure
    return failures


def test_every_operation_answers_as_its_schema_says(api_user, live_server):
    schema, headers = _live_schema(by=api_user, url=live_server.url)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the schema lists no API operation"

    failures = {}
    cases: list[int] = []
    for operation in operations:
        failures |= _failures_of(operation, base_url=live_server.url, headers=headers, cases=cases)

    # The run's size, for the record (pytest -s): operations, requests, failures.
    print(
        f"\nschemathesis as {api_user.username}: {len(operations)} operations, "
        f"{len(cases)} cases, {len(failures)} failing operation/mode pairs"
    )
    if failures:
        pytest.fail("\n\n".join(f"{label}:\n{error}" for label, error in failures.items()))


def test_schema_generates_without_warnings(tmp_path):
    """`manage.py spectacular --fail-on-warn`: every view documents its types."""
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--fail-on-warn", "--validate", "--file", str(target), skip_checks=True
    )
    assert "openapi: 3." in target.read_text()


def test_an_unmatched_api_address_gets_the_json_error_shape(client, db):
    response = client.get("/api/v1/no-such-records/1.5/")

    assert response.status_code == 404
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
    }


def test_an_unmatched_page_address_stays_an_html_page(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# The stateful phase: schemathesis chains operations the schema links (a created patient's
# id into its visits, events and follow-ups), so records built by one call are read,
# changed and voided by the next, as an integrator would. Bounded to keep the run to a
# few minutes per role on the shared two-core machine.
STATEFUL_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=8,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(params=["manager", "clinician", "frontdesk"])
def workflow_user(request, live_server) -> User:
    call_command("seed", "--demo", skip_checks=True, stdout=io.StringIO())
    return User.objects.get(username=request.param)


def test_chained_operations_answer_as_the_schema_says(workflow_user, live_server):
    schema, headers = _live_schema(by=workflow_user, url=live_server.url)

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"base_url": live_server.url, "headers": headers, "timeout": 30}

    Workflow.run(settings=STATEFUL_SETTINGS)


# The coverage phase: schemathesis walks every parameter and body field of every operation
# through its boundary values (the edges of each range, each type swapped for another,
# missing and extra fields, undeclared HTTP methods such as TRACE), the same cases on every
# run. It is what found an undeclared method failing on a patient's medications. It costs
# about 7,300 requests, so it runs as the manager, whose role reaches every operation, and
# in three shares of the operations, so the suite's two processes split it between them.
COVERAGE_SHARES = 3


@pytest.mark.parametrize("share", range(COVERAGE_SHARES))
def test_every_operation_survives_its_boundary_values(share, live_server):
    call_command("seed", "--demo", skip_checks=True, stdout=io.StringIO())
    manager = User.objects.get(username="manager")
    schema, headers = _live_schema(by=manager, url=live_server.url)

    failures: dict[str, list[str]] = {}
    cases = 0
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda operation: operation.label,
    )
    for operation in operations[share::COVERAGE_SHARES]:
        generation = schema.config.generation_for(operation=operation, phase="coverage")
        for case in schema.iter_coverage_cases(
            operation, generation_modes=list(GenerationMode), generation_config=generation
        ):
            cases += 1
            try:
                case.call_and_validate(base_url=live_server.url, headers=headers, timeout=30)
            except (Exception, BaseExceptionGroup) as failure:
                failures.setdefault(operation.label, []).append(str(failure))

    print(
        f"\nschemathesis coverage, share {share}: {cases} cases, {len(failures)} failing operations"
    )
    assert cases > 1000, "the coverage phase generated almost nothing for this share"
    if failures:
        pytest.fail(
            "\n\n".join(f"{label}:\n{errors[0]}" for label, errors in sorted(failures.items()))
        )
