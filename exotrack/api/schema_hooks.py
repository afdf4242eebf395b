"""OpenAPI post-processing for the API's error shape."""

import re

# drf-standardized-errors names an error inside a list as "doses.INDEX.lot" in the schema,
# while the response says which item: "doses.0.lot".
_INDEX = "INDEX"


def _attr_pattern(name: str) -> str:
    parts = [r"\d+" if part == _INDEX else re.escape(part) for part in name.split(".")]
    return "^" + r"\.".join(parts) + "$"


def list_item_error_attrs(result, generator, request, public):
    """Describe list-item error attributes by a pattern (doses.0.lot, doses.1.lot ...)
    instead of the literal placeholder, so real error bodies match their schema."""
    for schema in result.get("components", {}).get("schemas", {}).values():
        attr = schema.get("properties", {}).get("attr")
        if not attr or len(attr.get("enum", [])) != 1:
            continue
        name = attr["enum"][0]
        if isinstance(name, str) and _INDEX in name.split("."):
            del attr["enum"]
            attr["pattern"] = _attr_pattern(name)
    return result


_TOO_LARGE = "ErrorResponse413"


def request_too_large_documented(result, generator, request, public):
    """Every operation that takes a body may answer 413 (DATA_UPLOAD_MAX_MEMORY_SIZE,
    exotrack/api/errors.py): say so, in the API's error shape, code request_too_large."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorCode413Enum"] = {
        "enum": ["request_too_large"],
        "type": "string",
        "description": "* `request_too_large` - The request body is too large.",
    }
    schemas["Error413"] = {
        "type": "object",
        "properties": {
            "code": {"$ref": "#/components/schemas/ErrorCode413Enum"},
            "detail": {"type": "string"},
            "attr": {"type": "string", "nullable": True},
        },
        "required": ["attr", "code", "detail"],
    }
    schemas[_TOO_LARGE] = {
        "type": "object",
        "properties": {
            "type": {"$ref": "#/components/schemas/ClientErrorEnum"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Error413"}},
        },
        "required": ["errors", "type"],
    }
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {})["413"] = {
                    "description": "The request body is over the size limit.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{_TOO_LARGE}"}
                        }
                    },
                }
    return result
