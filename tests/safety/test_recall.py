"""Recall and traceability: quarantine and recall a lot, every dose and patient that
received it, and one recall call per patient on the follow-up worklist."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from apps.followups.models import Channel, FollowUp, Kind
from apps.inventory.models import Lot
from apps.safety.selectors.recalls import (
    CLINICAL_COLUMNS,
    CONTACT_COLUMNS,
    TRACE_COLUMNS,
    lot_recipients,
    recipient_columns,
)
from apps.safety.services.recalls import lot_quarantine, lot_recall, lot_recipients_contact
from apps.treatments.models import Visit
from tests.builders import given, knee_dose, record
from tests.factories import (
    LocationFactory,
    LotFactory,
    PatientFactory,
    TreatmentSiteFactory,
)

pytestmark = pytest.mark.django_db


class TestStatus:
    def test_recall_from_available_or_quarantined_with_the_reason(self, manager):
        available, held = LotFactory(), LotFactory()
        lot_quarantine(by=manager, lot=held, reason="Freezer alarm")
        for lot in (available, held):
            recalled = lot_recall(by=manager, lot=lot, reason=" Manufacturer notice ")
            assert (recalled.status, recalled.status_reason) == ("recalled", "Manufacturer notice")
        events = list(held.events.order_by("pgh_id").values_list("status", flat=True))
        assert events[-2:] == ["quarantined", "recalled"]

    def test_a_reason_is_required(self, manager):
        lot = LotFactory()
        with pytest.raises(ValidationError) as refused:
            lot_recall(by=manager, lot=lot, reason=" ")
        assert set(refused.value.message_dict) == {"reason"}
        lot.refresh_from_db()
        assert lot.status == "available"

    def test_a_recall_is_final(self, manager):
        lot = LotFactory(lot_number="R1")
        lot_recall(by=manager, lot=lot, reason="notice")
        with pytest.raises(ValidationError) as quarantine:
            lot_quarantine(by=manager, lot=lot, reason="again")
        assert quarantine.value.message_dict == {"status": ["Lot R1 is recalled for good."]}
        with pytest.raises(ValidationError) as again:
            lot_recall(by=manager, lot=lot, reason="again")
        assert again.value.message_dict == {"status": ["Lot R1 is already Recalled."]}

    @pytest.mark.parametrize("change", [lot_recall, lot_quarantine])
    def test_visits_cannot_use_the_lot_afterwards(self, manager, clinician, change):
        lot = LotFactory(lot_number="BAD1", vials_received=10)
        change(by=manager, lot=lot, reason="notice")
        patient = PatientFactory()
        with pytest.raises(ValidationError) as refused:
            record(
                by=clinician,
                patient=patient,
                location=LocationFactory(),
                clinician=clinician,
                doses=[knee_dose(TreatmentSiteFactory(), lot)],
            )
        assert "Lot BAD1 is" in " ".join(refused.value.messages)
        assert not Visit.objects.filter(patient=patient).exists()
        lot.refresh_from_db()
        assert lot.vials_on_hand == 10


class TestRecipients:
    def test_every_dose_of_standing_visits_oldest_first(self):
        lot, other_lot = LotFactory(), LotFactory()
        ada = PatientFactory(first_name="Ada")
        newest = given(lot, ada, days_ago=1)
        oldest = given(lot, days_ago=30, billions=Decimal("3.5"))
        middle = given(lot, ada, days_ago=10)
        given(lot, days_ago=5, voided=True)
        given(other_lot)
        rows = list(lot_recipients(lot_id=lot.pk))
        assert [r["id"] for r in rows] == [oldest.pk, middle.pk, newest.pk]
        assert rows[1]["visit__patient__first_name"] == "Ada"
        assert set(rows[0]) == set(TRACE_COLUMNS)

    def test_columns_follow_the_role(self, nurse, front_desk, manager):
        assert recipient_columns(nurse) == TRACE_COLUMNS + CONTACT_COLUMNS + CLINICAL_COLUMNS
        assert recipient_columns(manager) == TRACE_COLUMNS + CONTACT_COLUMNS + CLINICAL_COLUMNS
        # Contact details without dose details (front desk has no dose permission).
        assert recipient_columns(front_desk) == TRACE_COLUMNS + CONTACT_COLUMNS

    def test_one_query_whatever_the_size(self, django_assert_num_queries):
        lot = LotFactory()
        for _ in range(30):
            given(lot)
        with django_assert_num_queries(1):
            assert len(list(lot_recipients(lot_id=lot.pk, columns=TRACE_COLUMNS))) == 30


class TestContactAllRecipients:
    def test_one_call_per_patient_due_today(self, manager):
        lot = LotFactory(lot_number="K9")
        twice = PatientFactory()
        given(lot, twice, days_ago=20)
        given(lot, twice, days_ago=2)
        once = given(lot).visit.patient
        given(lot, voided=True)  # a visit recorded by mistake: nobody to call
        given(lot, PatientFactory(voided_at=timezone.now(), void_reason="duplicate"))
        lot_recall(by=manager, lot=lot, reason="Sterility failure")

        assert lot_recipients_contact(by=manager, lot=lot) == 2

        calls = FollowUp.objects.filter(kind=Kind.RECALL_CONTACT)
        assert {c.patient_id for c in calls} == {twice.pk, once.pk}
        call = calls.first()
        assert (call.channel, call.due_on, call.lot_id, call.created_by) == (
            Channel.CALL,
            timezone.localdate(),
            lot.pk,
            manager,
        )
        assert call.next_reminder_at is None  # staff phone them; no e-mail goes out
        assert "is recalled: Sterility failure" in call.note
        # One press, one action in the change history, by the manager.
        contexts = {event.pgh_context for c in calls for event in c.events.all()}
        assert len(contexts) == 1
        assert contexts.pop().metadata["user"] == manager.pk

    def test_pressing_again_adds_only_new_recipients(self, clinician, manager):
        lot = LotFactory()
        given(lot)
        lot_quarantine(by=manager, lot=lot, reason="Question from the maker")
        assert lot_recipients_contact(by=clinician, lot=lot) == 1
        assert lot_recipients_contact(by=clinician, lot=lot) == 0
        given(lot)  # recorded late, from the paper chart
        assert lot_recipients_contact(by=clinician, lot=lot) == 1
        assert FollowUp.objects.filter(kind=Kind.RECALL_CONTACT).count() == 2

    def test_an_available_lot_is_refused(self, manager):
        lot = LotFactory(lot_number="OK1")
        given(lot)
        with pytest.raises(ValidationError) as refused:
            lot_recipients_contact(by=manager, lot=lot)
        assert refused.value.message_dict == {
            "lot": ["Lot OK1 is available: quarantine or recall it first."]
        }
        assert not FollowUp.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_presses_at_once_add_each_patient_once(manager, clinician):
    lot = LotFactory()
    for _ in range(5):
        given(lot)
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.RECALLED)
    barrier = threading.Barrier(2)
    added, errors = [], []

    def press(user):
        try:
            barrier.wait()
            added.append(lot_recipients_contact(by=user, lot=lot))
        except Exception as error:  # any error fails the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(u,)) for u in (manager, clinician)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(added) == [0, 5]
    assert FollowUp.objects.filter(kind=Kind.RECALL_CONTACT, lot=lot).count() == 5
