"""/api/v1/reports/exports/{name}.csv: the page's exports over REST, same rules."""

import pytest

from apps.audit.models import AccessLog
from tests.builders import login_api
from tests.reports.helpers import body_of, rows_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/exports/{}.csv"


def test_a_clinician_downloads_identified_outcomes(api_client, clinician, known_clinic):
    login_api(api_client, clinician)

    response = api_client.get(
        URL.format("outcomes"),
        {"mode": "identified", "site_category": "joint"},
        HTTP_ACCEPT="text/csv",
    )

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    rows = rows_of(body_of(response))
    assert sorted(row[2] for row in rows[1:]) == ["Hopper", "Lovelace"]
    entry = AccessLog.objects.get()
    assert (entry.user, entry.subject) == (clinician, "export:outcomes")
    assert entry.detail["filters"] == {"site_category": "joint"}


def test_the_file_for_excel_over_rest(api_client, nurse, known_clinic):
    login_api(api_client, nurse)

    response = api_client.get(URL.format("outcomes"), {"encoding": "utf-8-bom"})

    assert response.status_code == 200
    assert next(iter(response.streaming_content)).startswith(b"\xef\xbb\xbfpatient_ref,")
    assert "-excel-" in response["Content-Disposition"]


def test_a_nurse_gets_de_identified_only(api_client, nurse, known_clinic):
    login_api(api_client, nurse)

    plain = api_client.get(URL.format("adverse-events"))
    forged = api_client.get(URL.format("adverse-events"), {"mode": "identified"})

    assert plain.status_code == 200
    assert "Lovelace" not in body_of(plain)
    assert forged.status_code == 403
    assert AccessLog.objects.count() == 1


@pytest.mark.parametrize("persona", ["front_desk", "outsider"])
def test_no_reports_role_no_export(api_client, known_clinic, persona, request):
    login_api(api_client, request.getfixturevalue(persona))

    assert api_client.get(URL.format("outcomes")).status_code == 403


def test_signed_out_is_refused(api_client, known_clinic):
    assert api_client.get(URL.format("outcomes")).status_code in (401, 403)


def test_wrong_filters_are_named(api_client, manager, known_clinic):
    login_api(api_client, manager)

    response = api_client.get(
        URL.format("doses-by-lot"), {"date_from": "someday", "product": "0", "shift_days": "x"}
    )

    assert response.status_code == 400
    fields = {error["attr"] for error in response.json()["errors"]}
    assert fields == {"date_from", "product", "shift_days"}
    assert not AccessLog.objects.exists()


def test_an_unknown_export_is_404(api_client, manager):
    login_api(api_client, manager)

    assert api_client.get(URL.format("everything")).status_code == 404


def test_the_schema_documents_the_exports(api_client, manager):
    login_api(api_client, manager)

    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/reports/exports/{name}.csv"]["get"]

    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters["name"]["schema"]["enum"]) == {
        "outcomes",
        "adverse-events",
        "doses-by-lot",
        "follow-up-compliance",
    }
    assert {"date_from", "site_category", "lot", "clinician", "mode", "shift_days"} <= set(
        parameters
    )
    assert parameters["encoding"]["schema"]["enum"] == ["utf-8", "utf-8-bom"]
    assert "text/csv" in operation["responses"]["200"]["content"]
