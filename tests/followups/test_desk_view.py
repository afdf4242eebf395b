"""The front desk reads no clinical detail through follow-ups: a recall contact is a call
to make (no lot, no recall), and the notes are clinical unless the desk wrote them, in the
API, the worklist and the patient page alike."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.followups.models import Channel, FollowUp, Kind
from tests.builders import assert_nothing_changed, login_api
from tests.factories import FollowUpFactory, LotFactory, PatientFactory, TreatmentSiteFactory

pytestmark = pytest.mark.django_db

FOLLOW_UPS = "/api/v1/follow-ups/"
RECALL_NOTE = "Lot CV-2291 of CascadeVes 10 is quarantined: particles seen in vials"
VOID_NOTE = "Visit voided: infection at the injection site suspected"
OUTCOME_NOTE = "Outcome recorded (Knee)."


@pytest.fixture
def follow_ups(clinician):
    patient = PatientFactory(phone="+1 555 0100")
    today = timezone.localdate()
    recall = FollowUpFactory(
        patient=patient,
        visit=None,
        kind=Kind.RECALL_CONTACT,
        channel=Channel.CALL,
        lot=LotFactory(lot_number="CV-2291"),
        due_on=today,
        note=RECALL_NOTE,
        created_by=clinician,
    )
    cancelled = FollowUpFactory(
        patient=patient, due_on=today, status=FollowUp.Status.CANCELLED, note=VOID_NOTE
    )
    outcome = FollowUpFactory(
        patient=patient,
        kind=Kind.OUTCOME,
        due_on=today - datetime.timedelta(days=1),
        status=FollowUp.Status.COMPLETED,
        completed_by=clinician,
        completed_at=timezone.now(),
        completion_note=OUTCOME_NOTE,
    )
    return {"patient": patient, "recall": recall, "cancelled": cancelled, "outcome": outcome}


@pytest.fixture
def knee(db):
    return TreatmentSiteFactory()


CLINICAL_WORDS = ["CV-2291", "particles", "infection", "Knee", "Recall contact"]


class TestTheApi:
    def test_the_desk_sees_a_recall_as_a_call_without_notes(
        self, api_client, front_desk, follow_ups
    ):
        client = login_api(api_client, front_desk)
        rows = {row["id"]: row for row in client.get(FOLLOW_UPS).json()["results"]}

        recall = rows[follow_ups["recall"].pk]
        assert (recall["kind"], recall["note"], recall["channel"]) == ("call_patient", "", "call")
        assert "lot" not in recall
        assert rows[follow_ups["cancelled"].pk]["note"] == ""
        assert rows[follow_ups["outcome"].pk]["completion_note"] == ""
        for word in CLINICAL_WORDS:
            assert word not in str(rows), word

    def test_the_desk_cannot_filter_out_who_received_a_lot(
        self, api_client, front_desk, follow_ups
    ):
        client = login_api(api_client, front_desk)

        assert client.get(FOLLOW_UPS, {"kind": "recall_contact"}).json()["count"] == 0
        calls = client.get(FOLLOW_UPS, {"kind": "call_patient"}).json()["results"]
        assert [row["id"] for row in calls] == [follow_ups["recall"].pk]

    def test_clinical_staff_see_it_all(self, api_client, clinician, follow_ups):
        client = login_api(api_client, clinician)
        row = client.get(f"{FOLLOW_UPS}{follow_ups['recall'].pk}/").json()

        assert (row["kind"], row["note"], row["lot"]) == (
            "recall_contact",
            RECALL_NOTE,
            follow_ups["recall"].lot_id,
        )
        recalls = client.get(FOLLOW_UPS, {"kind": "recall_contact"}).json()["results"]
        assert [r["id"] for r in recalls] == [follow_ups["recall"].pk]

    def test_the_desk_naming_a_site_is_refused_not_dropped(self, api_client, front_desk, knee):
        patient = PatientFactory()
        body = {
            "patient": patient.pk,
            "kind": "check_in",
            "due_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
            "channel": "call",
            "site": knee.pk,
        }
        with assert_nothing_changed():
            refused = login_api(api_client, front_desk).post(FOLLOW_UPS, body, format="json")
        assert refused.status_code == 400
        assert [(e["attr"], e["code"]) for e in refused.json()["errors"]] == [
            ("site", "not_permitted")
        ]
        del body["site"]
        assert api_client.post(FOLLOW_UPS, body, format="json").status_code == 201

    def test_the_desk_reads_its_own_notes(self, api_client, front_desk, follow_ups):
        own = FollowUpFactory(patient=follow_ups["patient"], note="Asked", created_by=front_desk)
        row = login_api(api_client, front_desk).get(f"{FOLLOW_UPS}{own.pk}/").json()
        assert row["note"] == "Asked"


@pytest.mark.parametrize("page", ["worklist", "patient page"])
def test_the_pages_show_the_desk_no_clinical_note(client, front_desk, clinician, follow_ups, page):
    url = (
        reverse("followups:worklist")
        if page == "worklist"
        else reverse("patients:detail", args=[follow_ups["patient"].pk])
    )
    client.force_login(front_desk)
    body = client.get(url).content.decode()
    assert "Call the patient" in body
    for word in CLINICAL_WORDS:
        assert word not in body, word

    client.force_login(clinician)
    body = client.get(url).content.decode()
    assert "Recall contact" in body
