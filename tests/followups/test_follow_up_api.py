"""The follow-ups and reminder-deliveries API: filters, the staff actions, roles, the
access log and constant query counts."""

import datetime

import pytest
from django.utils import timezone

from apps.audit.models import AccessLog
from apps.followups.models import Channel, FollowUp, Kind, ReminderDelivery
from apps.followups.services.scheduling import reminder_time
from tests.builders import assert_nothing_changed, login_api
from tests.factories import FollowUpFactory, PatientFactory, TreatmentSiteFactory

pytestmark = pytest.mark.django_db

FOLLOW_UPS = "/api/v1/follow-ups/"
DELIVERIES = "/api/v1/reminder-deliveries/"
DAY = datetime.timedelta(days=1)


def _due(days: int, **fields) -> FollowUp:
    return FollowUpFactory(due_on=timezone.localdate() + days * DAY, **fields)


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _delivery(follow_up: FollowUp, status: str = ReminderDelivery.Status.SENT) -> ReminderDelivery:
    return ReminderDelivery.objects.create(
        follow_up=follow_up,
        attempted_at=timezone.now(),
        status=status,
        to_address=follow_up.patient.email,
        reminder_number=1,
    )


# --- reading ----------------------------------------------------------------------


def test_list_filters_by_due_range_status_kind_channel_and_patient(api_client, nurse):
    past = _due(-3, kind=Kind.OUTCOME)
    today = _due(0, channel=Channel.CALL)
    later = _due(5, status=FollowUp.Status.COMPLETED)
    login_api(api_client, nurse)
    today_text = timezone.localdate().isoformat()

    assert _ids(api_client.get(FOLLOW_UPS)) == [past.pk, today.pk, later.pk]
    assert _ids(api_client.get(FOLLOW_UPS, {"due_from": today_text})) == [today.pk, later.pk]
    assert _ids(api_client.get(FOLLOW_UPS, {"due_to": today_text})) == [past.pk, today.pk]
    assert _ids(api_client.get(FOLLOW_UPS, {"status": "completed"})) == [later.pk]
    assert _ids(api_client.get(FOLLOW_UPS, {"kind": "outcome"})) == [past.pk]
    assert _ids(api_client.get(FOLLOW_UPS, {"channel": "call"})) == [today.pk]
    assert _ids(api_client.get(FOLLOW_UPS, {"patient": past.patient_id})) == [past.pk]
    bad = api_client.get(FOLLOW_UPS, {"status": "lost", "due_from": "soon"})
    assert bad.status_code == 400
    assert {e["attr"] for e in bad.json()["errors"]} == {"status", "due_from"}


def test_front_desk_gets_no_clinical_field(api_client, front_desk, clinician):
    follow_up = _due(0, site=TreatmentSiteFactory(), kind=Kind.REPEAT_SESSION)
    login_api(api_client, front_desk)
    row = api_client.get(f"{FOLLOW_UPS}{follow_up.pk}/").json()
    assert row["patient_mrn"] == follow_up.patient.mrn
    assert not {"site", "site_name", "rule", "visit", "lot"} & set(row)

    login_api(api_client, clinician)
    assert api_client.get(f"{FOLLOW_UPS}{follow_up.pk}/").json()["site_name"] == "Knee"


def test_reads_are_in_the_access_log(api_client, nurse):
    follow_up = _due(0)
    login_api(api_client, nurse)

    api_client.get(FOLLOW_UPS, {"kind": "check_in"})
    api_client.get(f"{FOLLOW_UPS}{follow_up.pk}/")

    entries = AccessLog.objects.filter(user=nurse, action=AccessLog.Action.API_READ)
    assert {(e.subject, e.patient_id) for e in entries} == {
        ("follow-up-search", None),
        ("follow-up", follow_up.patient_id),
    }


def test_without_a_role_nothing_is_readable(api_client, outsider):
    follow_up = _due(0)
    login_api(api_client, outsider)

    assert api_client.get(FOLLOW_UPS).status_code == 403
    assert api_client.get(f"{FOLLOW_UPS}{follow_up.pk}/").status_code == 403
    assert api_client.get(DELIVERIES).status_code == 403


@pytest.mark.parametrize("count", [1, 40])
def test_list_costs_the_same_queries_at_1_and_40(
    api_client, nurse, count, django_assert_num_queries
):
    for days in range(count):
        _due(days, site=TreatmentSiteFactory())
    login_api(api_client, nurse)
    # user and group permissions (RolePermission), access-log insert, count, follow-ups
    # (+ patient, site, rule, lot, completer).
    with django_assert_num_queries(5):
        response = api_client.get(FOLLOW_UPS)
    assert response.json()["count"] == count


# --- writing ----------------------------------------------------------------------


def test_staff_add_a_follow_up(api_client, front_desk):
    patient = PatientFactory(email_consent=True)
    login_api(api_client, front_desk)
    due = timezone.localdate() + 10 * DAY

    response = api_client.post(
        FOLLOW_UPS,
        {
            "patient": patient.pk,
            "kind": "repeat_session",
            "due_on": due.isoformat(),
            "note": "Asked",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["channel"], body["status"], body["note"]) == ("email", "pending", "Asked")
    follow_up = FollowUp.objects.get(pk=body["id"])
    assert follow_up.created_by == front_desk
    assert follow_up.site is None  # the desk names no treated site (naming one is refused)
    assert follow_up.next_reminder_at == reminder_time(due)


@pytest.mark.parametrize(
    ("changes", "attr"),
    [
        ({"kind": "recall_contact"}, "kind"),
        ({"due_on": "2001-01-01"}, "due_on"),
        ({"patient": 999999}, "patient"),
        ({"site": "KNEE"}, "site"),
    ],
)
def test_a_refused_follow_up_names_the_field(api_client, nurse, changes, attr):
    patient = PatientFactory()
    knee = TreatmentSiteFactory()
    login_api(api_client, nurse)
    data = {"patient": patient.pk, "kind": "check_in", "due_on": timezone.localdate().isoformat()}
    data.update(changes)
    if data.get("site") == "KNEE":
        data["site"] = knee.pk  # a site on a check-in

    with assert_nothing_changed():
        response = api_client.post(FOLLOW_UPS, data, format="json")

    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == [attr]
    assert not FollowUp.objects.exists()


def test_complete_reschedule_and_cancel(api_client, nurse):
    first, second, third = _due(0), _due(1), _due(2)
    login_api(api_client, nurse)
    new_day = timezone.localdate() + 20 * DAY

    done = api_client.post(f"{FOLLOW_UPS}{first.pk}/complete/", {"note": "All well"})
    moved = api_client.post(
        f"{FOLLOW_UPS}{second.pk}/reschedule/", {"due_on": new_day.isoformat(), "note": "Away"}
    )
    cancelled = api_client.post(f"{FOLLOW_UPS}{third.pk}/cancel/", {"reason": "Moved abroad"})

    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert done.json()["completion_note"] == "All well"
    assert moved.status_code == 200 and moved.json()["due_on"] == new_day.isoformat()
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert FollowUp.objects.get(pk=second.pk).next_reminder_at == reminder_time(new_day)


@pytest.mark.parametrize(
    ("action", "data", "attr"),
    [
        ("complete", {"note": ""}, "note"),
        ("complete", {"note": "again"}, "note"),
        ("reschedule", {"due_on": "2001-01-01"}, "due_on"),
        ("cancel", {}, "reason"),
    ],
)
def test_a_refused_action_names_the_field_and_changes_nothing(
    api_client, nurse, action, data, attr
):
    follow_up = _due(0)
    if data == {"note": "again"}:
        follow_up.status = FollowUp.Status.COMPLETED
        follow_up.save()
    login_api(api_client, nurse)

    with assert_nothing_changed():
        response = api_client.post(f"{FOLLOW_UPS}{follow_up.pk}/{action}/", data)

    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == [attr]
    assert FollowUp.objects.get(pk=follow_up.pk).due_on == follow_up.due_on


def test_the_manager_reads_but_does_not_work_follow_ups(api_client, manager):
    follow_up = _due(0)
    login_api(api_client, manager)

    assert _ids(api_client.get(FOLLOW_UPS)) == [follow_up.pk]
    with assert_nothing_changed():
        assert (
            api_client.post(f"{FOLLOW_UPS}{follow_up.pk}/complete/", {"note": "x"}).status_code
            == 403
        )
    new = {"patient": follow_up.patient_id, "kind": "check_in", "due_on": "2099-01-01"}
    with assert_nothing_changed():
        assert api_client.post(FOLLOW_UPS, new, format="json").status_code == 403
    with assert_nothing_changed():
        assert api_client.post(f"{FOLLOW_UPS}999999/complete/", {"note": "x"}).status_code == 403


def test_an_unknown_follow_up_is_404(api_client, nurse):
    login_api(api_client, nurse)

    assert api_client.get(f"{FOLLOW_UPS}999999/").status_code == 404
    with assert_nothing_changed():
        assert api_client.post(f"{FOLLOW_UPS}999999/complete/", {"note": "x"}).status_code == 404


# --- reminder deliveries ------------------------------------------------------------


def test_deliveries_are_read_only_and_filter_by_follow_up_and_status(api_client, nurse):
    first, second = _due(0), _due(1)
    sent = _delivery(first)
    failed = _delivery(second, ReminderDelivery.Status.FAILED)
    login_api(api_client, nurse)

    assert set(_ids(api_client.get(DELIVERIES))) == {sent.pk, failed.pk}
    assert _ids(api_client.get(DELIVERIES, {"follow_up": first.pk})) == [sent.pk]
    assert _ids(api_client.get(DELIVERIES, {"status": "failed"})) == [failed.pk]
    row = api_client.get(f"{DELIVERIES}{sent.pk}/").json()
    assert row["to_address"] == first.patient.email and row["reminder_number"] == 1
    # No write route: the role check refuses before the method is looked at.
    with assert_nothing_changed():
        assert api_client.post(DELIVERIES, {}).status_code in {403, 405}
    assert ReminderDelivery.objects.count() == 2
    assert AccessLog.objects.filter(subject="reminder-delivery", patient_id=first.patient_id)


@pytest.mark.parametrize("count", [1, 30])
def test_deliveries_list_costs_the_same_queries(
    api_client, nurse, count, django_assert_num_queries
):
    for _ in range(count):
        _delivery(_due(0))
    login_api(api_client, nurse)
    # user and group permissions, access-log insert, count, deliveries.
    with django_assert_num_queries(5):
        response = api_client.get(DELIVERIES)
    assert response.json()["count"] == count
