"""A manager changes the reminder send time in a real browser, and a reminder already
scheduled moves to the new time on its day."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps.followups.models import Kind
from apps.followups.services.scheduling import follow_up_add
from exotrack import roles
from tests.factories import ClinicProfileFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_manager_changes_the_send_time_and_a_scheduled_reminder_moves(
    page: Page, live_server, login
):
    ClinicProfileFactory(name="Harbour Clinic", reminder_send_time=datetime.time(9, 0))
    manager = UserFactory(username="maya", first_name="Maya", role=roles.MANAGER)
    due_on = timezone.localdate() + datetime.timedelta(days=5)
    follow_up = follow_up_add(by=None, patient=PatientFactory(), kind=Kind.CHECK_IN, due_on=due_on)
    login(page, live_server, manager)

    page.goto("/clinic/")
    expect(page.get_by_text("moves every reminder not yet sent")).to_be_visible()
    page.get_by_label("Reminder send time").fill("16:30")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Clinic profile saved.")).to_be_visible()

    follow_up.refresh_from_db()
    zone = zoneinfo.ZoneInfo(timezone.get_default_timezone_name())
    assert follow_up.next_reminder_at == datetime.datetime.combine(
        due_on, datetime.time(16, 30), tzinfo=zone
    )
