"""The safety-signals page and API as each role meets them."""

import pytest
from django.urls import reverse

from apps.accounts.models import User
from tests.builders import login_api
from tests.factories import LotFactory
from tests.safety.signal_data import cold_sore, give_doses, infection, record_event

pytestmark = pytest.mark.django_db

API = "/api/v1/safety/signals/"
SEES_SIGNALS = {"clinician", "nurse", "manager"}


@pytest.fixture
def signalling_lot(db):
    """Four infections in 300 treatments (signals), beside a quiet lot."""
    infection_type = infection()
    cold_sore()
    lot = LotFactory(lot_number="HOT-1")
    for dose in give_doses(lot, visits=300)[:4]:
        record_event(infection_type, [dose])
    give_doses(LotFactory(lot_number="QUIET-1"), visits=30)
    return lot


def errors(response) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["attr"], []).append(error["detail"])
    return found


class TestPage:
    def test_who_sees_it(self, client, personas, outsider):
        for role, user in {**personas, "outsider": outsider}.items():
            client.force_login(user)
            status = client.get(reverse("safety:signals")).status_code
            assert status == (200 if role in SEES_SIGNALS else 403), (role, status)

    def test_navigation_names_it_for_those_who_see_it(self, client, clinician, front_desk):
        client.force_login(clinician)
        assert "Safety signals" in client.get(reverse("dashboard")).content.decode()
        client.force_login(front_desk)
        assert "Safety signals" not in client.get(reverse("dashboard")).content.decode()

    def test_a_table_per_level_signalling_rows_first_in_readable_numbers(
        self, client, clinician, signalling_lot
    ):
        client.force_login(clinician)
        page = client.get(reverse("safety:signals")).content.decode()

        for level in ("lot", "product", "site_category"):
            assert f'id="signals-{level}"' in page
        lot_table = page[page.index('id="signals-lot"') :]
        lot_table = lot_table[: lot_table.index("</table>")]
        assert lot_table.index("HOT-1") < lot_table.index("QUIET-1")
        assert "4 in 300 (1.33 %)" in lot_table
        assert "0.36 % to 3.38 %" in lot_table
        assert "1 in 2,000 (0.05 %)" in lot_table
        assert "1.8 \u00d7 10^-5" in lot_table
        assert lot_table.count(">Signal</span>") == 1

    def test_filter_by_level_and_event_type(self, client, manager, signalling_lot):
        client.force_login(manager)
        page = client.get(
            reverse("safety:signals"), {"level": "product", "event_type": "cold_sore"}
        ).content.decode()

        assert 'id="signals-product"' in page
        assert 'id="signals-lot"' not in page
        assert "Cold sore" in page
        assert "Infection at the injection site</td>" not in page
        # An unknown filter value shows everything rather than an error.
        page = client.get(reverse("safety:signals"), {"level": "galaxy"}).content.decode()
        assert 'id="signals-lot"' in page

    def test_queries_do_not_grow_with_lots(self, client, clinician, django_assert_num_queries):
        infection()
        client.force_login(clinician)
        give_doses(LotFactory(), visits=3)
        # session, user, user + group permissions, the event types, exposures and events
        # for three levels, the user's roles (header).
        with django_assert_num_queries(12):
            client.get(reverse("safety:signals"))
        for _ in range(15):
            give_doses(LotFactory(), visits=4, doses_per_visit=2)
        with django_assert_num_queries(12):
            client.get(reverse("safety:signals"))


class TestApi:
    def test_who_reads_it(self, api_client, personas, outsider):
        for role, user in {**personas, "outsider": outsider}.items():
            status = login_api(api_client, user).get(API).status_code
            assert status == (200 if role in SEES_SIGNALS else 403), role

    def test_rows_with_typed_fields(self, api_client, nurse, signalling_lot):
        body = login_api(api_client, nurse).get(API, {"level": "lot"}).json()

        first = body["results"][0]
        assert first["level"] == "lot"
        assert first["lot"] == signalling_lot.pk
        assert first["product"] == signalling_lot.product_id
        assert first["key"] == str(signalling_lot.pk)
        assert first["event_type"] == "infection"
        assert first["exposure"] == "dose"
        assert (first["exposures"], first["events"]) == (300, 4)
        assert first["rate"] == pytest.approx(4 / 300)
        assert first["ci_low"] == pytest.approx(0.0036445140520665214, rel=1e-9)
        assert first["ci_high"] == pytest.approx(0.03378489626191786, rel=1e-9)
        assert first["expected_rate"] == pytest.approx(0.0005)
        assert first["p_value"] == pytest.approx(1.8370913633211287e-05, rel=1e-9)
        assert first["signalling"] is True
        assert [r["signalling"] for r in body["results"]].count(True) == 1
        # Two lots, two event types.
        assert body["count"] == 4

    def test_filters(self, api_client, clinician, signalling_lot):
        client = login_api(api_client, clinician)

        rows = client.get(API, {"event_type": "cold_sore"}).json()["results"]
        assert {r["event_type"] for r in rows} == {"cold_sore"}
        assert {r["level"] for r in rows} == {"lot", "product", "site_category"}
        category = client.get(API, {"level": "site_category"}).json()["results"]
        assert {(r["key"], r["lot"], r["product"]) for r in category} == {("joint", None, None)}

    def test_bad_filters_are_field_errors(self, api_client, clinician, signalling_lot):
        client = login_api(api_client, clinician)

        response = client.get(API, {"level": "galaxy"})
        assert response.status_code == 400
        assert list(errors(response)) == ["level"]
        response = client.get(API, {"event_type": "sunburn"})
        assert response.status_code == 400
        assert errors(response) == {
            "event_type": ["No event type with an expected rate has the code sunburn."]
        }
        response = client.get(API, {"event_type": "\x00"})
        assert response.status_code == 400
        assert set(errors(response)) == {"event_type"}
        # Blank filters mean every level and every type, as on the page: two lots of two
        # products and one site category, for two event types.
        assert client.get(API, {"level": "", "event_type": ""}).json()["count"] == (2 + 2 + 1) * 2

    def test_queries_do_not_grow_with_lots(self, api_client, clinician, django_assert_num_queries):
        infection()
        give_doses(LotFactory(), visits=3)
        # A fresh user each time, as each request of a real client has: its user and
        # group permissions, then the event types, exposures and events for three levels.
        fresh = User.objects.get(pk=clinician.pk)
        with django_assert_num_queries(9):
            login_api(api_client, fresh).get(API)
        for _ in range(15):
            give_doses(LotFactory(), visits=4, doses_per_visit=2)
        fresh = User.objects.get(pk=clinician.pk)
        with django_assert_num_queries(9):
            # 16 lots, each of its own product, and one site category.
            assert login_api(api_client, fresh).get(API).json()["count"] == 16 + 16 + 1

    def test_in_the_published_schema(self, api_client, clinician):
        schema = login_api(api_client, clinician).get("/api/schema/?format=json").json()
        operation = schema["paths"]["/api/v1/safety/signals/"]["get"]
        assert {p["name"] for p in operation["parameters"]} >= {"level", "event_type", "page"}
        row = schema["components"]["schemas"]["SafetySignal"]["properties"]
        assert row["p_value"]["type"] == "number"
        assert row["signalling"]["type"] == "boolean"
        assert row["lot"]["nullable"] is True
