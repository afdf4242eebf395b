"""The signal test on known counts. Expected numbers are exact binomial values, as R's
binom.test reports them (p-value of binom.test(k, n, p, alternative = "greater"),
interval of binom.test(k, n)); they were worked out with exact rational arithmetic and
bisection, independently of scipy, and are written here as plain numbers."""

import pytest
from django.test import override_settings

from apps.safety.selectors.safety_signals import Level, p_value_text, percent, safety_signals
from tests.factories import (
    AdverseEventTypeFactory,
    LotFactory,
    ProductFactory,
    TreatmentSiteFactory,
)
from tests.safety.signal_data import (
    cold_sore,
    give_doses,
    infection,
    record_event,
    void_visit,
)

pytestmark = pytest.mark.django_db


def one(signals, *, level=Level.LOT, key=None, code="infection"):
    found = [
        s
        for s in signals
        if s.level == level and s.event_type.code == code and (key is None or s.key == key)
    ]
    assert len(found) == 1, found
    return found[0]


class TestKnownCounts:
    def test_four_infections_in_300_treatments_signal(self):
        infection_type = infection()
        lot = LotFactory()
        doses = give_doses(lot, visits=300)
        for dose in doses[:4]:
            record_event(infection_type, [dose])

        signal = one(safety_signals(), key=lot.pk)

        assert (signal.exposures, signal.events) == (300, 4)
        assert signal.rate == pytest.approx(4 / 300)
        assert signal.expected_rate == pytest.approx(1 / 2000)
        # binom.test(4, 300, 1/2000, alternative = "greater")$p.value
        assert signal.p_value == pytest.approx(1.8370913633211287e-05, rel=1e-9)
        # binom.test(4, 300)$conf.int
        assert signal.ci_low == pytest.approx(0.0036445140520665214, rel=1e-9)
        assert signal.ci_high == pytest.approx(0.03378489626191786, rel=1e-9)
        assert signal.signalling

    def test_one_infection_in_3000_treatments_does_not(self):
        infection_type = infection()
        lot = LotFactory()
        doses = give_doses(lot, visits=3000)
        record_event(infection_type, [doses[0]])

        signal = one(safety_signals(levels=[Level.LOT]), key=lot.pk)

        assert (signal.exposures, signal.events) == (3000, 1)
        assert signal.p_value == pytest.approx(0.7769535258660178, rel=1e-9)
        assert signal.ci_low == pytest.approx(8.439233717563808e-06, rel=1e-9)
        assert signal.ci_high == pytest.approx(0.0018557999944919224, rel=1e-9)
        assert not signal.signalling

    def test_two_events_are_enough_when_the_p_value_is_small(self):
        infection_type = infection()
        lot = LotFactory()
        doses = give_doses(lot, visits=100)
        record_event(infection_type, [doses[0]])
        record_event(infection_type, [doses[1]])

        signal = one(safety_signals(levels=[Level.LOT]), key=lot.pk)

        assert signal.events == 2
        assert signal.p_value == pytest.approx(0.0011978009111312982, rel=1e-9)
        assert signal.ci_low == pytest.approx(0.0024313368239425423, rel=1e-9)
        assert signal.ci_high == pytest.approx(0.07038393247107014, rel=1e-9)
        assert signal.signalling
        with override_settings(SAFETY_SIGNAL_MIN_EVENTS=3):
            assert not one(safety_signals(levels=[Level.LOT]), key=lot.pk).signalling

    def test_one_event_never_signals_however_small_the_p_value(self):
        infection_type = infection()
        lot = LotFactory()
        doses = give_doses(lot, visits=10)
        record_event(infection_type, [doses[0]])

        signal = one(safety_signals(levels=[Level.LOT]), key=lot.pk)

        # 1 - (1 - 1/2000)^10: below 0.01, but a single event is not a signal.
        assert signal.p_value == pytest.approx(0.004988764986882872, rel=1e-9)
        assert not signal.signalling

    def test_the_p_value_limit_is_a_setting(self):
        infection_type = infection()
        lot = LotFactory()
        doses = give_doses(lot, visits=100)
        record_event(infection_type, [doses[0]])
        record_event(infection_type, [doses[1]])

        with override_settings(SAFETY_SIGNAL_P_VALUE=0.001):
            assert not one(safety_signals(levels=[Level.LOT]), key=lot.pk).signalling


class TestCounting:
    def test_cold_sores_are_counted_per_visit(self):
        """20 visits with two doses each from the lot: 20 exposures, not 40. Five visits
        had a cold sore; one of them has it entered twice, still one event."""
        cold_sore_type = cold_sore()
        lot = LotFactory()
        doses = give_doses(lot, visits=20, doses_per_visit=2)
        by_visit = [doses[i : i + 2] for i in range(0, 40, 2)]
        for pair in by_visit[:5]:
            record_event(cold_sore_type, pair)
        record_event(cold_sore_type, by_visit[0])

        signals = safety_signals()
        signal = one(signals, key=lot.pk, code="cold_sore")

        assert (signal.exposures, signal.events) == (20, 5)
        # binom.test(5, 20, 1/20, alternative = "greater"); binom.test(5, 20)$conf.int
        assert signal.p_value == pytest.approx(0.0025739403346522814, rel=1e-9)
        assert signal.ci_low == pytest.approx(0.08657146910143454, rel=1e-9)
        assert signal.ci_high == pytest.approx(0.49104587170795755, rel=1e-9)
        assert signal.signalling
        product = one(signals, level=Level.PRODUCT, key=lot.product_id, code="cold_sore")
        category = one(signals, level=Level.SITE_CATEGORY, key="joint", code="cold_sore")
        assert (product.exposures, product.events) == (20, 5)
        assert (category.exposures, category.events) == (20, 5)
        assert category.label == "Joint"

    def test_an_event_counts_once_per_lot_among_its_doses(self):
        infection_type = infection()
        first, second = LotFactory(), LotFactory()
        both_knees = give_doses(first, visits=1, doses_per_visit=2)
        other_lot = give_doses(second, visits=1)
        # Two knees from the first lot and a shoulder from the second, one infection
        # linked to all three doses: one event for each lot.
        other_lot[0].visit = both_knees[0].visit
        other_lot[0].save()
        record_event(infection_type, [*both_knees, other_lot[0]])

        signals = safety_signals()

        assert one(signals, key=first.pk).events == 1
        assert one(signals, key=first.pk).exposures == 2
        assert one(signals, key=second.pk).events == 1
        # Both lots are of different products here; a site category sees one event.
        assert one(signals, level=Level.SITE_CATEGORY, key="joint").events == 1

    def test_voided_visits_and_events_never_count(self):
        infection_type = infection()
        lot = LotFactory()
        doses = give_doses(lot, visits=10)
        record_event(infection_type, [doses[0]])
        voided_event = record_event(infection_type, [doses[1]])
        voided_event.voided_at = voided_event.created_at
        voided_event.save()
        record_event(infection_type, [doses[2]])
        void_visit(doses[2].visit)

        signal = one(safety_signals(levels=[Level.LOT]), key=lot.pk)

        assert (signal.exposures, signal.events) == (9, 1)

    def test_levels_group_lots_by_product_and_sites_by_category(self):
        infection_type = infection()
        product = ProductFactory(name="XoGlo Pro")
        lot_a, lot_b = LotFactory(product=product), LotFactory(product=product)
        face = TreatmentSiteFactory(name="Face", category="face")
        give_doses(lot_a, visits=3)
        face_doses = give_doses(lot_b, visits=2, site=face)
        record_event(infection_type, [face_doses[0]])

        signals = safety_signals(event_types=[infection_type])

        assert one(signals, level=Level.PRODUCT, key=product.pk).exposures == 5
        assert one(signals, level=Level.PRODUCT, key=product.pk).label == (
            "XoGlo Pro (Kimera Labs)"
        )
        assert one(signals, level=Level.SITE_CATEGORY, key="face").events == 1
        assert one(signals, level=Level.SITE_CATEGORY, key="joint").events == 0
        assert one(signals, key=lot_b.pk).label == f"XoGlo Pro lot {lot_b.lot_number}"

    def test_signalling_rows_come_first(self):
        infection_type = infection()
        quiet, loud = LotFactory(), LotFactory()
        give_doses(quiet, visits=50)
        for dose in give_doses(loud, visits=50)[:3]:
            record_event(infection_type, [dose])

        signals = safety_signals(levels=[Level.LOT])

        assert [s.key for s in signals] == [loud.pk, quiet.pk]

    def test_types_without_an_expected_rate_are_not_tested(self):
        infection()
        AdverseEventTypeFactory(code="other", name="Other", expected_one_in=None)
        give_doses(LotFactory(), visits=3)

        assert {s.event_type.code for s in safety_signals()} == {"infection"}

    def test_queries_do_not_grow_with_doses_lots_or_events(self, django_assert_num_queries):
        infection_type = infection()
        cold_sore()
        doses = give_doses(LotFactory(), visits=5)
        record_event(infection_type, [doses[0]])
        # Event types, then exposures and events for each of the three levels.
        with django_assert_num_queries(7):
            few = safety_signals()
        for _ in range(10):
            more = give_doses(LotFactory(), visits=20, doses_per_visit=2)
            record_event(infection_type, more[:2])
        with django_assert_num_queries(7):
            many = safety_signals()
        assert len(many) > len(few)


class TestReadableNumbers:
    def test_rate_interval_expected_and_p_value_read_as_the_clinic_speaks(self):
        infection_type = infection()
        lot = LotFactory()
        for dose in give_doses(lot, visits=300)[:4]:
            record_event(infection_type, [dose])

        signal = one(safety_signals(levels=[Level.LOT]), key=lot.pk)

        assert signal.rate_text == "4 in 300 (1.33 %)"
        assert signal.ci_text == "0.36 % to 3.38 %"
        assert signal.expected_text == "1 in 2,000 (0.05 %)"
        assert signal.p_value_text == "1.8 \u00d7 10^-5"

    @pytest.mark.parametrize(
        ("p", "text"),
        [(1.0, "1.000"), (0.0861, "0.086"), (0.001, "0.001"), (0.000498, "5.0 \u00d7 10^-4")],
    )
    def test_p_values(self, p, text):
        assert p_value_text(p) == text

    @pytest.mark.parametrize(
        ("share", "text"),
        [(0, "0 %"), (1 / 3000, "0.0333 %"), (0.25, "25.00 %"), (0.0036445, "0.36 %")],
    )
    def test_percentages(self, share, text):
        assert percent(share) == text
