"""Every error code a service can answer the API with is in the published schema, so an
integrator can handle each one by name. Read from the source: a new `code="..."` in a
service fails here until the endpoint that can give it documents it."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

APPS = Path(settings.BASE_DIR) / "apps"
# `code="..."` and `ValidationError("message", "code")`, over several lines too.
_KEYWORD = re.compile(r'\bcode\s*=\s*"([a-z_]+)"')
_POSITIONAL = re.compile(r'ValidationError\(\s*(?:f?"[^"]*"\s*)+,\s*"([a-z_]+)"\s*\)')
# Guards no request can reach: the visit service asks for at least one vial and returns
# only the uses it made, with its own reason.
INTERNAL_ONLY = {"no_vials", "not_a_use", "reason_required"}
# FHIR answers with OperationOutcome issue codes from the FHIR specification, not these.
OTHER_VOCABULARY = {"fhir"}


def _codes_raised() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in APPS.rglob("*.py"):
        relative = path.relative_to(APPS)
        if "migrations" in relative.parts or relative.parts[0] in OTHER_VOCABULARY:
            continue
        text = path.read_text("utf-8")
        for match in (*_KEYWORD.finditer(text), *_POSITIONAL.finditer(text)):
            found.setdefault(match.group(1), set()).add(str(relative))
    return found


def _codes_documented(schema: object) -> set[str]:
    codes: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("enum"), list):
                codes.update(c for c in node["enum"] if isinstance(c, str))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return codes


@pytest.mark.django_db
def test_every_service_error_code_is_in_the_schema():
    raised = _codes_raised()
    assert len(raised) > 30, "the scan found too few codes: is the pattern still right?"
    documented = _codes_documented(SchemaGenerator().get_schema(request=None, public=True))
    missing = {
        code: sorted(files)
        for code, files in raised.items()
        if code not in documented and code not in INTERNAL_ONLY
    }
    assert missing == {}
