"""Visits recorded at the same moment against one lot with few vials: real threads, each
with its own PostgreSQL connection, committing for real."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from apps.inventory.models import Lot, StockMovement
from apps.treatments.models import Route, VialsOpened, Visit
from apps.treatments.services import DoseInput
from exotrack.roles import CLINICIAN, ensure_roles
from tests.builders import record
from tests.factories import (
    LocationFactory,
    LotFactory,
    PatientFactory,
    TreatmentSiteFactory,
    UserFactory,
)

THREADS = 8


@pytest.fixture
def setting(transactional_db):
    ensure_roles()
    return {
        "clinician": UserFactory(role=CLINICIAN),
        "location": LocationFactory(),
        "site": TreatmentSiteFactory(
            name="Systemic",
            category="systemic",
            dose_min_billions=Decimal("1"),
            dose_max_billions=Decimal("20"),
            default_route=Route.INTRAVENOUS,
            laterality_applies=False,
        ),
        "patients": [PatientFactory() for _ in range(THREADS)],
    }


def _race(setting, doses_for) -> tuple[list, list]:
    """Start THREADS visit recordings at once; returns (visits, errors)."""
    barrier = threading.Barrier(THREADS)
    visits, errors, crashes = [], [], []

    def one(index: int) -> None:
        try:
            barrier.wait()
            visits.append(
                record(
                    by=setting["clinician"],
                    patient=setting["patients"][index],
                    location=setting["location"],
                    clinician=setting["clinician"],
                    doses=doses_for(index),
                )
            )
        except ValidationError as refused:
            errors.append(refused)
        except Exception as crash:
            crashes.append(crash)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not crashes, crashes
    return visits, errors


def _used(lot: Lot) -> int:
    return -(
        StockMovement.objects.filter(lot=lot, kind="used").aggregate(total=Sum("vials"))["total"]
        or 0
    )


def test_eight_visits_never_use_more_vials_than_the_lot_has(setting):
    lot = LotFactory(vials_received=5, labelled_billions_per_vial=Decimal("5"))
    # 8 bn over 5 bn per vial: two vials per visit, so only two visits can be served.
    visits, errors = _race(
        setting,
        lambda index: [DoseInput(site=setting["site"], lot_id=lot.pk, billions=Decimal("8"))],
    )
    lot.refresh_from_db()
    assert len(visits) == 2
    assert len(errors) == THREADS - 2
    assert all("needed" in " ".join(e.messages) for e in errors)
    assert len(visits) * 2 == _used(lot) == 4
    assert lot.vials_on_hand == 1 >= 0
    assert Visit.objects.count() == 2
    assert VialsOpened.objects.aggregate(total=Sum("vials"))["total"] == 4


def test_visits_naming_two_lots_in_opposite_orders_do_not_deadlock(setting):
    first = LotFactory(vials_received=4, labelled_billions_per_vial=Decimal("5"))
    second = LotFactory(vials_received=4, labelled_billions_per_vial=Decimal("5"))

    def doses(index: int) -> list[DoseInput]:
        lots = [first, second] if index % 2 else [second, first]
        return [
            DoseInput(site=setting["site"], lot_id=lot.pk, billions=Decimal("4")) for lot in lots
        ]

    visits, errors = _race(setting, doses)
    first.refresh_from_db()
    second.refresh_from_db()
    assert len(visits) == 4 and len(errors) == 4
    assert _used(first) == _used(second) == 4
    assert first.vials_on_hand == second.vials_on_hand == 0
