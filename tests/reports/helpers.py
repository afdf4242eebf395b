"""Downloading an export in tests: the whole body, and its rows parsed back."""

import csv
import io


def body_of(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def export(client, name: str, **params) -> str:
    response = client.get(f"/reports/exports/{name}.csv", params)
    assert response.status_code == 200, response.content[:500]
    return body_of(response)
