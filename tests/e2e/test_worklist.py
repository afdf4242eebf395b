"""The follow-up worklist in a real browser: the front desk completes a call inline and
reschedules another, and only the row changes (htmx), the rest of the page stays."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps.followups.models import Channel, FollowUp
from exotrack import roles
from tests.factories import FollowUpFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk():
    return UserFactory(username="finn", first_name="Finn", role=roles.FRONT_DESK)


def test_front_desk_completes_and_reschedules_follow_ups_inline(
    page: Page, live_server, login, desk
):
    today = timezone.localdate()
    call = FollowUpFactory(
        patient=PatientFactory(first_name="Ada", last_name="Lovelace", phone="+1 555 0142"),
        channel=Channel.CALL,
        due_on=today - datetime.timedelta(days=2),
    )
    overdue = FollowUpFactory(
        patient=PatientFactory(first_name="Grace", last_name="Hopper"),
        due_on=today - datetime.timedelta(days=1),
    )
    login(page, live_server, desk)

    page.get_by_role("link", name="Follow-ups", exact=True).click()
    expect(page.get_by_role("heading", name="Call list")).to_be_visible()
    # Marks the page: a full reload would lose it, an htmx swap keeps it.
    page.evaluate("window.stillThisPage = true")

    row = page.locator(f"#follow-up-{call.pk}")
    expect(row).to_contain_text("Ada Lovelace")
    expect(row).to_contain_text("+1 555 0142")
    row.get_by_label("What came of it").fill("Called: no redness, feeling well.")
    row.get_by_role("button", name="Complete").click()

    expect(row).to_contain_text("Follow-up completed.")
    expect(row).to_contain_text("Called: no redness, feeling well.")
    expect(row.get_by_role("button", name="Complete")).to_have_count(0)
    assert page.evaluate("window.stillThisPage") is True
    call.refresh_from_db()
    assert call.status == FollowUp.Status.COMPLETED and call.completed_by == desk

    row = page.locator(f"#follow-up-{overdue.pk}")
    row.get_by_text("Reschedule or cancel").click()
    new_day = today + datetime.timedelta(days=7)
    row.get_by_label("New day").fill(new_day.isoformat())
    row.get_by_role("button", name="Reschedule").click()

    expect(row).to_contain_text("Follow-up rescheduled.")
    expect(row).to_contain_text(f"{new_day:%Y-%m-%d}")
    assert page.evaluate("window.stillThisPage") is True
    overdue.refresh_from_db()
    assert overdue.due_on == new_day
