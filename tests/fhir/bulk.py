"""Driving a Bulk Data export the way a client does: kick off, poll, fetch every file."""

import json
from urllib.parse import urlsplit

from tests.fhir.helpers import validate


def kick_off(client, path: str, **params):
    return client.get(f"/fhir/R4/{path}", params, HTTP_PREFER="respond-async")


def status_path(response) -> str:
    assert response.status_code == 202, response.content
    return urlsplit(response["Content-Location"]).path


def download(client, manifest: dict) -> dict[str, list[dict]]:
    """Every line of every file, validated against the R4 models, by resource type."""
    lines: dict[str, list[dict]] = {}
    for output in manifest["output"]:
        response = client.get(urlsplit(output["url"]).path)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/fhir+ndjson"
        text = b"".join(response.streaming_content).decode()
        resources = [validate(json.loads(line)) for line in text.splitlines()]
        assert {r["resourceType"] for r in resources} == {output["type"]}
        assert len(resources) == output["count"]
        lines[output["type"]] = resources
    return lines
