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
