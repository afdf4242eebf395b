"""Events are counted per exposure, so no group can have more events than exposures,
and one group whose test fails never takes the page, the API or the daily refresh down."""

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.safety.models import LotSignal
from apps.safety.selectors import safety_signals as signals_module
from apps.safety.selectors.safety_signals import Level, safety_signals
from apps.safety.services.safety_signals import safety_signals_refresh
from tests.builders import login_api
from tests.factories import ClinicProfileFactory, LotFactory
from tests.safety.signal_data import cold_sore, give_doses, infection, record_event

pytestmark = pytest.mark.django_db

API = "/api/v1/safety/signals/"


def lot_signal(signals, lot, code):
    (found,) = [
        s for s in signals if s.level == Level.LOT and s.key == lot.pk and s.event_type.code == code
    ]
    return found


@pytest.fixture
def twice_entered_infection(db):
    """One treatment, its infection entered twice: one infected dose."""
    infection_type = infection()
    lot = LotFactory(lot_number="TWICE-1")
    (dose,) = give_doses(lot, visits=1)
    record_event(infection_type, [dose])
    record_event(infection_type, [dose])
    return lot


class TestEventsNeverExceedExposures:
    def test_two_entries_of_one_infection_on_one_dose_are_one_event(self, twice_entered_infection):
        signal = lot_signal(safety_signals(), twice_entered_infection, "infection")

        assert (signal.exposures, signal.events) == (1, 1)

    def test_cold_sores_count_the_visits_of_their_doses(self):
        cold_sore_type = cold_sore()
        lot = LotFactory()
        doses = give_doses(lot, visits=2)
        # An event of the first visit also linked to the second visit's dose: two
        # visits had it, out of two exposed.
        record_event(cold_sore_type, doses)
        record_event(cold_sore_type, doses)

        signal = lot_signal(safety_signals(), lot, "cold_sore")

        assert (signal.exposures, signal.events) == (2, 2)

    def test_the_page_the_api_and_the_refresh_work(
        self, client, api_client, clinician, twice_entered_infection
    ):
        ClinicProfileFactory(safety_contact_email="safety@clinic.test")
        client.force_login(clinician)

        assert client.get(reverse("safety:signals")).status_code == 200
        assert login_api(api_client, clinician).get(API).status_code == 200
        safety_signals_refresh(now=timezone.now())
        stored = LotSignal.objects.get(lot=twice_entered_infection)
        assert (stored.exposures, stored.events) == (1, 1)


class TestOneBadGroup:
    @pytest.fixture
    def failing_lot(self, monkeypatch):
        """A lot whose test raises (as scipy does on counts it refuses), beside a sound one."""
        infection()
        bad, good = LotFactory(lot_number="BAD-1"), LotFactory(lot_number="GOOD-1")
        give_doses(bad, visits=7)
        give_doses(good, visits=3)
        real_test = signals_module.binomial_test

        def refusing(events, exposures, expected_one_in):
            if exposures == 7:
                raise ValueError("k must not be greater than n")
            return real_test(events, exposures, expected_one_in)

        monkeypatch.setattr(signals_module, "binomial_test", refusing)
        return good

    def test_is_left_out_and_the_others_are_tested(self, failing_lot):
        good = failing_lot

        keys = {s.key for s in safety_signals(levels=[Level.LOT])}

        assert keys == {good.pk}

    def test_never_fails_the_page_the_api_or_the_refresh(
        self, client, api_client, clinician, failing_lot
    ):
        good = failing_lot
        client.force_login(clinician)

        page = client.get(reverse("safety:signals"))
        assert page.status_code == 200
        assert "GOOD-1" in page.content.decode()
        assert login_api(api_client, clinician).get(API).status_code == 200
        safety_signals_refresh(now=timezone.now())
        assert LotSignal.objects.filter(lot=good).exists()
