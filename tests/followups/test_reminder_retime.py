"""Changing the clinic's reminder send time moves every reminder not yet sent to the new
time on its own day, in one statement, with the manager's name in the history."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.clinic.models import ClinicProfile
from apps.followups.models import FollowUp, Kind
from apps.followups.services.scheduling import follow_up_add
from tests.factories import ClinicProfileFactory, PatientFactory

PROFILE = reverse("clinic:profile")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def clinic(db) -> ClinicProfile:
    return ClinicProfileFactory(name="Harbour Clinic", reminder_send_time=datetime.time(9, 0))


def add(*, due_on: datetime.date) -> FollowUp:
    return follow_up_add(by=None, patient=PatientFactory(), kind=Kind.CHECK_IN, due_on=due_on)


def local(follow_up: FollowUp) -> datetime.datetime:
    follow_up.refresh_from_db()
    assert follow_up.next_reminder_at is not None
    return follow_up.next_reminder_at.astimezone(NEW_YORK)


def change_send_time(client, manager, value: str) -> None:
    client.force_login(manager)
    response = client.post(
        PROFILE,
        {
            "name": "Harbour Clinic",
            "contact_phone": "",
            "booking_url": "",
            "booking_instructions": "",
            "safety_contact_email": "",
            "reminder_send_time": value,
            "chart_review_percent": "10",
        },
    )
    assert response.status_code == 302


@pytest.mark.usefixtures("clinic")
def test_a_new_send_time_re_times_every_reminder_not_yet_sent_in_one_statement(
    client, manager, settings
):
    settings.TIME_ZONE = "America/New_York"
    today = timezone.localdate()
    # Across the autumn clock change: the new time is local time on each day.
    winter_day = datetime.date(today.year + 1, 12, 1)
    summer_day = datetime.date(today.year + 1, 7, 1)
    scheduled = [add(due_on=winter_day), add(due_on=summer_day)]
    assert local(scheduled[0]).time() == datetime.time(9, 0)

    with CaptureQueriesContext(connection) as queries:
        change_send_time(client, manager, "07:45")

    for follow_up, day in zip(scheduled, (winter_day, summer_day), strict=True):
        assert local(follow_up) == datetime.datetime.combine(
            day, datetime.time(7, 45), tzinfo=NEW_YORK
        )
    sql = [query["sql"] for query in queries.captured_queries]
    updates = [text for text in sql if 'UPDATE "followups_followup"' in text]
    assert len(updates) == 1
    change = FollowUp.pgh_event_model.objects.filter(pgh_obj_id=scheduled[0].pk).latest("pgh_id")
    assert change.pgh_context.metadata["user"] == manager.pk


@pytest.mark.usefixtures("clinic")
def test_retries_reminders_being_sent_and_finished_follow_ups_keep_their_time(
    client, manager, settings
):
    settings.TIME_ZONE = "America/New_York"
    day = timezone.localdate() + datetime.timedelta(days=10)
    retry, being_sent, done = add(due_on=day), add(due_on=day), add(due_on=day)
    FollowUp.objects.filter(pk=retry.pk).update(temporary_failures=1)
    FollowUp.objects.filter(pk=being_sent.pk).update(
        claimed_until=timezone.now() + datetime.timedelta(minutes=5)
    )
    FollowUp.objects.filter(pk=done.pk).update(status=FollowUp.Status.COMPLETED)
    before = {f.pk: local(f) for f in (retry, being_sent, done)}

    change_send_time(client, manager, "14:15")

    assert {f.pk: local(f) for f in (retry, being_sent, done)} == before
    # A reminder scheduled after the change uses the new time.
    assert local(add(due_on=day)).time() == datetime.time(14, 15)


@pytest.mark.usefixtures("clinic")
def test_saving_the_profile_without_changing_the_time_moves_nothing(client, manager):
    follow_up = add(due_on=timezone.localdate() + datetime.timedelta(days=3))
    updated_at = FollowUp.objects.get(pk=follow_up.pk).updated_at

    change_send_time(client, manager, "09:00")

    assert FollowUp.objects.get(pk=follow_up.pk).updated_at == updated_at


def test_the_profile_page_says_what_a_change_does(client, manager, clinic):
    client.force_login(manager)
    page = client.get(PROFILE).content.decode()
    assert "moves every reminder not yet sent to the new time" in page
