"""Ids in query strings: ASCII digits that fit a bigint, or no id at all (a 404 as for a
missing record), never a 500 from int('²')."""

import pytest
from django.urls import reverse

from exotrack.query_ids import parse_id

BAD_IDS = ["\u00b2", "\u0663", "\uff11", "1\u00b2", "-1", "0", "1.0", " 1", "", "9" * 30]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), ("042", 42), (str(2**63 - 1), 2**63 - 1), (None, None)]
    + [(text, None) for text in [*BAD_IDS, str(2**63)]],
)
def test_parse_id(text, expected):
    assert parse_id(text) == expected


PAGES_TAKING_AN_ID = [
    ("treatments:visit-add", "patient"),
    ("followups:follow-up-add", "patient"),
    ("safety:adverse-event-add", "visit"),
    ("outcomes:assessment-record", "follow_up"),
    ("outcomes:assessment-record", "dose"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "name"), PAGES_TAKING_AN_ID)
@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_page_answers_a_bad_id_as_a_missing_record(client, clinician, page, name, bad):
    client.force_login(clinician)

    assert client.get(reverse(page), {name: bad}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_bad_self_report_id_is_a_missing_report(client, clinician, known_clinic, bad):
    client.force_login(clinician)
    url = reverse("safety:adverse-event-add")

    response = client.get(url, {"visit": known_clinic.visit.pk, "self_report": bad})

    assert response.status_code == (200 if bad == "" else 404)


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD_IDS)
def test_the_lot_picker_ignores_a_bad_product(client, clinician, bad):
    client.force_login(clinician)

    assert client.get(reverse("inventory:lot-options"), {"product": bad}).status_code == 200
