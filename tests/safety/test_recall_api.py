"""Recall over REST: lots/{id}/recall/, quarantine/, recipients/ and
contact-recipients/, by role."""

import pytest

from apps.audit.models import AccessLog
from apps.followups.models import FollowUp, Kind
from apps.inventory.models import Lot
from tests.builders import assert_nothing_changed, errors, given, login_api
from tests.factories import LotFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _url(lot, action: str) -> str:
    return f"/api/v1/lots/{lot.pk}/{action}/"


class TestRecallAndQuarantine:
    def test_manager_quarantines_then_recalls(self, api_client, manager):
        lot = LotFactory()
        client = login_api(api_client, manager)
        held = client.post(_url(lot, "quarantine"), {"reason": "Freezer alarm"}, format="json")
        assert held.status_code == 200
        assert (held.json()["status"], held.json()["status_reason"]) == (
            "quarantined",
            "Freezer alarm",
        )
        recalled = client.post(_url(lot, "recall"), {"reason": "Maker's notice"}, format="json")
        assert recalled.json()["status"] == "recalled"
        with assert_nothing_changed():
            again = client.post(_url(lot, "quarantine"), {"reason": "x"}, format="json")
        assert again.status_code == 400
        assert errors(again) == {"status": [f"Lot {lot.lot_number} is recalled for good."]}

    def test_a_reason_is_required(self, api_client, manager):
        lot = LotFactory()
        with assert_nothing_changed():
            response = login_api(api_client, manager).post(
                _url(lot, "recall"), {"reason": " "}, format="json"
            )
        assert response.status_code == 400 and set(errors(response)) == {"reason"}
        lot.refresh_from_db()
        assert lot.status == "available"

    @pytest.mark.parametrize("role", ["clinician", "nurse", "front_desk"])
    def test_only_the_manager(self, api_client, personas, role):
        lot = LotFactory()
        client = login_api(api_client, personas[role])
        with assert_nothing_changed():
            assert client.post(_url(lot, "recall"), {"reason": "x"}).status_code == 403
        with assert_nothing_changed():
            assert client.post(_url(lot, "quarantine"), {"reason": "x"}).status_code == 403
        lot.refresh_from_db()
        assert lot.status == "available"

    def test_a_missing_lot_is_404(self, api_client, manager):
        with assert_nothing_changed():
            response = login_api(api_client, manager).post(
                "/api/v1/lots/999999/recall/", {"reason": "x"}
            )
        assert response.status_code == 404


class TestRecipients:
    def test_paginated_rows_with_contact_and_dose(self, api_client, nurse):
        lot = LotFactory()
        ada = PatientFactory(first_name="Ada", email="ada@example.com", phone="+1 555 0199")
        first = given(lot, ada, days_ago=9)
        given(lot, days_ago=2)
        given(lot, days_ago=5, voided=True)
        response = login_api(api_client, nurse).get(_url(lot, "recipients"), {"page_size": 1})
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 2 and body["next"]
        row = body["results"][0]
        assert (row["dose"], row["first_name"], row["email"], row["phone"]) == (
            first.pk,
            "Ada",
            "ada@example.com",
            "+1 555 0199",
        )
        assert (row["site"], row["billions"]) == ("Knee", "4.00")
        log = AccessLog.objects.get(subject="lot-recipients")
        assert (log.action, log.object_id) == ("api_read", lot.pk)

    def test_front_desk_may_not(self, api_client, front_desk):
        lot = LotFactory()
        given(lot)
        assert login_api(api_client, front_desk).get(_url(lot, "recipients")).status_code == 403

    def test_constant_queries(self, api_client, manager, django_assert_num_queries):
        lot = LotFactory()
        given(lot)
        client = login_api(api_client, manager)
        client.get(_url(lot, "recipients"))
        # the lot, access-log insert, count, one page of rows.
        with django_assert_num_queries(4):
            client.get(_url(lot, "recipients"))
        for _ in range(30):
            given(lot)
        with django_assert_num_queries(4):
            assert len(client.get(_url(lot, "recipients")).json()["results"]) == 31


class TestContactRecipients:
    @pytest.mark.parametrize("role", ["clinician", "manager"])
    def test_idempotent(self, api_client, personas, role):
        lot = LotFactory()
        Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.QUARANTINED)
        given(lot)
        given(lot)
        client = login_api(api_client, personas[role])
        assert client.post(_url(lot, "contact-recipients")).json() == {"created": 2}
        assert client.post(_url(lot, "contact-recipients")).json() == {"created": 0}
        assert FollowUp.objects.filter(kind=Kind.RECALL_CONTACT).count() == 2

    def test_an_available_lot_is_refused(self, api_client, manager):
        lot = LotFactory()
        given(lot)
        with assert_nothing_changed():
            response = login_api(api_client, manager).post(_url(lot, "contact-recipients"))
        assert response.status_code == 400 and set(errors(response)) == {"lot"}

    @pytest.mark.parametrize("role", ["nurse", "front_desk"])
    def test_other_roles_may_not(self, api_client, personas, role):
        lot = LotFactory()
        Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.RECALLED)
        given(lot)
        with assert_nothing_changed():
            response = login_api(api_client, personas[role]).post(_url(lot, "contact-recipients"))
        assert response.status_code == 403
        assert not FollowUp.objects.exists()
