"""The shared refusal check notices each kind of change it promises to: a new row, an
update that leaves only history behind, and stock taken from a lot."""

import re

import pytest

from apps.inventory.models import Lot
from apps.patients.models import Patient
from tests.builders import assert_nothing_changed
from tests.factories import LotFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_a_quiet_block_passes():
    PatientFactory()
    with assert_nothing_changed():
        Patient.objects.count()


def test_a_new_row_is_caught():
    with pytest.raises(AssertionError, match=r"rows patients\.Patient\b"), assert_nothing_changed():
        PatientFactory()


def test_an_update_is_caught_by_its_history():
    patient = PatientFactory()
    with pytest.raises(AssertionError, match=r"patients\.PatientEvent"), assert_nothing_changed():
        Patient.objects.filter(pk=patient.pk).update(allergies="Latex")


def test_stock_taken_from_a_lot_is_caught():
    lot = LotFactory(vials_received=5)
    expected = re.escape(f"'stock {lot.pk}': (5, 4)")
    with pytest.raises(AssertionError, match=expected), assert_nothing_changed():
        # Behind the ledger's back, as a refused request that half-ran might.
        Lot.objects.filter(pk=lot.pk).update(vials_on_hand=4)
