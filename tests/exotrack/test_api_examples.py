"""Every example the published API documentation shows is valid against the schema it
illustrates (as zulip checks its documented examples): a request example against the
operation's request body, a response example against the response of its status code, a
parameter example against the parameter. An example that drifts from the serializers
fails here, not in a client's integration."""

import copy

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

pytestmark = pytest.mark.django_db

_COMPONENTS = "urn:exotrack:components"


def _as_json_schema(node, *, direction: str):
    """OpenAPI 3.0 schema -> JSON Schema: `nullable` becomes a null alternative, and a
    property that only flows the other way (readOnly in a request, writeOnly in a
    response) is not required."""
    if isinstance(node, list):
        return [_as_json_schema(item, direction=direction) for item in node]
    if not isinstance(node, dict):
        return node
    properties = node.get("properties")
    if isinstance(properties, dict) and "required" in node:
        other_way = "readOnly" if direction == "request" else "writeOnly"
        node = {
            **node,
            "required": [
                name for name in node["required"] if not properties.get(name, {}).get(other_way)
            ],
        }
    node = {key: _as_json_schema(value, direction=direction) for key, value in node.items()}
    if "$ref" in node:
        node["$ref"] = node["$ref"].replace("#/components/schemas/", f"{_COMPONENTS}#/")
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def _validator(schema: dict, components: dict, *, direction: str) -> Draft202012Validator:
    converted = _as_json_schema(copy.deepcopy(components), direction=direction)
    registry = Registry().with_resource(
        _COMPONENTS, Resource(contents=converted, specification=DRAFT202012)
    )
    return Draft202012Validator(_as_json_schema(schema, direction=direction), registry=registry)


def _documented_examples(spec: dict):
    """(where, schema, direction, example value) for every example in the schema."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                for name, example in parameter.get("examples", {}).items():
                    yield (
                        f"{where} parameter {parameter['name']}: {name}",
                        parameter["schema"],
                        "request",
                        example["value"],
                    )
            body = operation.get("requestBody", {}).get("content", {})
            for media, content in body.items():
                for name, example in content.get("examples", {}).items():
                    yield (
                        f"{where} {media} request: {name}",
                        content["schema"],
                        "request",
                        (example["value"]),
                    )
            for status, response in operation.get("responses", {}).items():
                for media, content in response.get("content", {}).items():
                    for name, example in content.get("examples", {}).items():
                        yield (
                            f"{where} {status} {media}: {name}",
                            content["schema"],
                            "response",
                            (example["value"]),
                        )


def test_every_documented_example_matches_its_schema(client, manager):
    client.force_login(manager)
    spec = client.get("/api/schema/?format=json").json()
    components = spec["components"]["schemas"]

    examples = list(_documented_examples(spec))
    failures = [
        f"{where}: {error.message} (at {'/'.join(map(str, error.absolute_path)) or 'top'})"
        for where, schema, direction, value in examples
        for error in _validator(schema, components, direction=direction).iter_errors(value)
    ]

    # The API documents dozens of examples; none found means the walk above is broken.
    assert len(examples) > 30
    assert not failures, "\n".join(failures)
