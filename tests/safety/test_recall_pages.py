"""Recall on the lot page as each role meets it: the recall card, the recipient list
and its CSV, the "contact all recipients" button, and the patient page's lots."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AccessLog
from apps.followups.models import FollowUp, Kind
from apps.followups.services.scheduling import follow_up_complete
from apps.inventory.models import Lot
from apps.patients.models import Patient
from apps.safety.services.recalls import lot_recipients_contact
from apps.treatments.models import Visit
from tests.builders import assert_nothing_changed, given
from tests.factories import LotFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _utc(*moment: int) -> datetime.datetime:
    return datetime.datetime(*moment, tzinfo=datetime.UTC)


def _lot_page(client, lot, **params):
    return client.get(reverse("inventory:lot-detail", args=[lot.pk]), params)


def _recalled(**fields) -> Lot:
    lot = LotFactory(**fields)
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.RECALLED, status_reason="notice")
    lot.refresh_from_db()
    return lot


class TestRecall:
    def test_manager_recalls_with_a_reason(self, client, manager):
        lot = LotFactory(lot_number="R7")
        client.force_login(manager)
        assert "Recall lot" in _lot_page(client, lot).content.decode()
        response = client.post(
            reverse("safety:lot-recall", args=[lot.pk]),
            {"recall-reason": "Manufacturer notice 2026-11", "confirmed": "yes"},
            follow=True,
        )
        assert "Lot R7 is recalled: it can no longer be used." in response.content.decode()
        lot.refresh_from_db()
        assert (lot.status, lot.status_reason) == ("recalled", "Manufacturer notice 2026-11")
        # Recalled for good: no recall card and no quarantine/release form any more.
        page = response.content.decode()
        assert "Recall lot" not in page and "Quarantine or release" not in page

    def test_asks_first_naming_the_lot_its_reach_and_the_reason(self, client, manager):
        lot = LotFactory(lot_number="R8", product__name="CascadeVes 10")
        given(lot)
        given(lot)
        client.force_login(manager)
        with assert_nothing_changed():
            response = client.post(
                reverse("safety:lot-recall", args=[lot.pk]),
                {"recall-reason": "Sterility <failure>"},
            )
        page = response.content.decode()
        assert response.status_code == 200
        assert "Recall lot R8?" in page
        assert "CascadeVes 10" in page and "2 doses to 2 patients" in page
        assert "Sterility &lt;failure&gt;" in page
        # The confirm button posts the same reason again, with the confirmation.
        assert 'name="recall-reason" value="Sterility &lt;failure&gt;"' in page
        assert 'name="confirmed" value="yes"' in page
        lot.refresh_from_db()
        assert lot.status == "available"

    def test_without_a_reason_nothing_changes(self, client, manager):
        lot = LotFactory()
        client.force_login(manager)
        response = client.post(reverse("safety:lot-recall", args=[lot.pk]), {}, follow=True)
        assert "Lot not recalled: give the reason for the recall." in response.content.decode()
        lot.refresh_from_db()
        assert lot.status == "available"

    @pytest.mark.parametrize("role", ["clinician", "nurse", "front_desk"])
    def test_only_the_manager_recalls(self, client, personas, role):
        lot = LotFactory()
        client.force_login(personas[role])
        assert "Recall lot" not in _lot_page(client, lot).content.decode()
        with assert_nothing_changed():
            response = client.post(
                reverse("safety:lot-recall", args=[lot.pk]), {"recall-reason": "x"}
            )
        assert response.status_code == 403
        lot.refresh_from_db()
        assert lot.status == "available"

    def test_a_missing_lot_is_404(self, client, manager):
        client.force_login(manager)
        assert (
            client.post(
                reverse("safety:lot-recall", args=[999999]), {"recall-reason": "x"}
            ).status_code
            == 404
        )


class TestRecipientList:
    def test_lists_visits_patients_and_contact_details(self, client, nurse):
        lot = LotFactory()
        ada = PatientFactory(
            first_name="Ada", last_name="Lovelace", email="ada@example.com", phone="+1 555 0199"
        )
        given(lot, ada)
        given(lot, voided=True, patient=PatientFactory(first_name="Voidia"))
        client.force_login(nurse)
        page = _lot_page(client, lot).content.decode()
        assert "1 dose to 1 patient" in page
        assert "Ada Lovelace" in page and "ada@example.com" in page and "+1 555 0199" in page
        assert "Voidia" not in page
        log = AccessLog.objects.get(subject="lot-recipients", user=nurse)
        assert (log.action, log.object_id) == ("view", lot.pk)

    def test_paginated_with_constant_queries(self, client, manager, django_assert_num_queries):
        lot = LotFactory()
        given(lot)
        client.force_login(manager)
        _lot_page(client, lot)  # warm the content-type cache
        # session, user, user and group permissions, the lot with its dose count, the
        # patients its ledger names (none here: no access-log insert for it), ledger,
        # recipients: doses and distinct patients (one query), one page of rows;
        # access-log insert, recall calls counted (none: no list read), the user's roles.
        with django_assert_num_queries(12):
            _lot_page(client, lot)
        for _ in range(60):
            given(lot)
        with django_assert_num_queries(12):
            response = _lot_page(client, lot)
        assert len(response.context["recipients"].object_list) == 50
        second = _lot_page(client, lot, recipients_page=2)
        assert len(second.context["recipients"].object_list) == 11

    def test_csv_export_is_streamed_safe_and_logged(self, client, manager):
        lot = LotFactory(lot_number="A/1")
        given(lot, PatientFactory(first_name="=cmd", last_name="Smith", email="s@example.com"))
        given(lot, days_ago=40)
        client.force_login(manager)
        response = client.get(reverse("safety:lot-recipients-csv", args=[lot.pk]))
        assert response.status_code == 200 and response["Cache-Control"] == "no-store"
        assert response["Content-Disposition"].startswith('attachment; filename="lot-A-1-recipi')
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert len(rows) == 2
        assert rows[1]["first_name"] == "'=cmd" and rows[1]["email"] == "s@example.com"
        visited_at = f"visited_at ({timezone.get_current_timezone_name()})"
        assert {"site", "billions", "phone", visited_at, "mrn"} <= set(rows[0])
        log = AccessLog.objects.get(subject="export:lot-recipients")
        assert (log.action, log.object_id, log.user) == ("export", lot.pk, manager)

    def test_csv_times_are_the_clinics_and_the_header_names_its_zone(
        self, client, manager, settings
    ):
        settings.TIME_ZONE = "Europe/Berlin"
        lot = LotFactory()
        winter, summer = given(lot, days_ago=40), given(lot, days_ago=20)
        Visit.objects.filter(pk=winter.visit_id).update(visited_at=_utc(2026, 1, 15, 15, 30))
        Visit.objects.filter(pk=summer.visit_id).update(visited_at=_utc(2026, 7, 15, 15, 30))
        Patient.objects.filter(pk=summer.visit.patient_id).update(
            voided_at=_utc(2026, 7, 16, 23, 5)
        )
        client.force_login(manager)

        response = client.get(reverse("safety:lot-recipients-csv", args=[lot.pk]))

        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        visited = [row["visited_at (Europe/Berlin)"] for row in rows]
        assert visited == ["2026-01-15 16:30:00+01:00", "2026-07-15 17:30:00+02:00"]
        voided = [row["patient_record_voided_at (Europe/Berlin)"] for row in rows]
        assert voided == ["", "2026-07-17 01:05:00+02:00"]
        assert not any("utc" in name.lower() for name in rows[0])

    def test_front_desk_cannot_export(self, client, front_desk):
        lot = LotFactory()
        client.force_login(front_desk)
        assert client.get(reverse("safety:lot-recipients-csv", args=[lot.pk])).status_code == 403
        assert not AccessLog.objects.filter(subject="export:lot-recipients").exists()

    def test_the_patient_page_lists_the_recalled_lot(self, client, clinician):
        lot = LotFactory(lot_number="PX1")
        patient = given(lot).visit.patient
        Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.RECALLED)
        client.force_login(clinician)
        page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
        assert 'PX1</a> <span class="badge badge-error">Recalled</span>' in page


class TestContactAllRecipients:
    @pytest.mark.parametrize("role", ["clinician", "manager"])
    def test_adds_one_call_per_patient_and_nothing_the_second_time(self, client, personas, role):
        lot = _recalled(lot_number="C3")
        given(lot)
        given(lot)
        client.force_login(personas[role])
        assert "Contact all recipients" in _lot_page(client, lot).content.decode()
        url = reverse("safety:lot-contact-recipients", args=[lot.pk])
        with assert_nothing_changed():
            asked = client.post(url).content.decode()
        assert "Call everyone who received lot C3?" in asked
        assert "Adds 2 recall calls to the follow-up worklist" in asked
        first = client.post(url, {"confirmed": "yes"}, follow=True).content.decode()
        assert "2 recall calls added to the follow-up worklist, due today." in first
        # Nobody left to call: no confirm step, the answer says so at once.
        second = client.post(url, follow=True).content.decode()
        assert "Everyone who received lot C3 is on the worklist already." in second
        calls = FollowUp.objects.filter(kind=Kind.RECALL_CONTACT, lot=lot)
        assert calls.count() == 2
        assert {c.due_on for c in calls} == {timezone.localdate()}

    def test_no_button_while_the_lot_is_available(self, client, manager):
        lot = LotFactory(lot_number="OK2")
        given(lot)
        client.force_login(manager)
        assert "Contact all recipients" not in _lot_page(client, lot).content.decode()
        response = client.post(reverse("safety:lot-contact-recipients", args=[lot.pk]), follow=True)
        assert "Lot OK2 is available: quarantine or recall it first." in (response.content.decode())
        assert not FollowUp.objects.exists()

    @pytest.mark.parametrize("role", ["nurse", "front_desk"])
    def test_other_roles_may_not(self, client, personas, role):
        lot = _recalled()
        given(lot)
        client.force_login(personas[role])
        with assert_nothing_changed():
            response = client.post(reverse("safety:lot-contact-recipients", args=[lot.pk]))
        assert response.status_code == 403
        assert not FollowUp.objects.exists()


class TestRecallCallsSeenByWhoeverMadeThem:
    def _called(self, manager, lot_number="CV1"):
        lot = _recalled(lot_number=lot_number)
        ada = given(lot, PatientFactory(first_name="Ada", phone="+1 555 0100")).visit.patient
        given(lot, PatientFactory(first_name="Grace"))
        lot_recipients_contact(by=manager, lot=lot)
        return lot, ada

    def test_the_lot_page_counts_the_calls_and_shows_where_each_stands(
        self, client, manager, clinician
    ):
        lot, ada = self._called(manager)
        ada_call = FollowUp.objects.get(patient=ada, kind=Kind.RECALL_CONTACT)
        follow_up_complete(follow_up=ada_call, by=clinician, note="Reached, no symptoms")
        client.force_login(manager)
        page = _lot_page(client, lot).content.decode()
        assert "<strong>1</strong> to call · <strong>1</strong> reached" in page
        assert "+1 555 0100" in page and "Reached" in page and "To call" in page
        # The list names patients: reading it is logged as a read of their records.
        entry = AccessLog.objects.get(subject="lot-recall-calls")
        assert entry.user == manager and len(entry.detail["patients"]) == 2

    def test_the_calls_cost_the_same_queries_for_two_calls_and_sixty(
        self, client, manager, django_assert_num_queries
    ):
        lot, _ = self._called(manager)
        client.force_login(manager)
        _lot_page(client, lot)  # warm the content-type cache
        # As without calls, plus the page of calls and its access-log insert.
        with django_assert_num_queries(14):
            _lot_page(client, lot)
        for _ in range(58):
            given(lot)
        lot_recipients_contact(by=manager, lot=lot)
        with django_assert_num_queries(14):
            page = _lot_page(client, lot).content.decode()
        assert "<strong>60</strong> to call" in page

    def test_no_card_before_any_call(self, client, manager):
        lot = _recalled()
        given(lot)
        client.force_login(manager)
        assert "Recall calls" not in _lot_page(client, lot).content.decode()

    def test_the_manager_reads_the_worklist_and_why_each_call_exists(self, client, manager):
        self._called(manager, lot_number="CV7")
        client.force_login(manager)
        response = client.get(reverse("followups:worklist"))
        assert response.status_code == 200
        page = response.content.decode()
        assert page.count("Why: Lot CV7 of ") == 2 and "is recalled: notice" in page
        # Reading, not working the list: the buttons that change a call are not there.
        assert "/complete/" not in page and ">Complete<" not in page

    def test_the_front_desk_gets_what_to_say_but_not_the_lot(self, client, manager, front_desk):
        self._called(manager, lot_number="CV9")
        client.force_login(front_desk)
        page = client.get(reverse("followups:worklist")).content.decode()
        assert page.count("A clinician needs to speak with the patient") == 2
        assert "CV9" not in page and "notice" not in page
