"""The dashboard's panel of the day's follow-ups: what the desk, nurses and clinicians
have to do today, counted in a constant number of queries, with links into the worklist."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.followups.models import Channel, FollowUp
from tests.factories import FollowUpFactory

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def _due(days: int, **fields) -> FollowUp:
    return FollowUpFactory(due_on=timezone.localdate() + days * DAY, **fields)


def test_the_front_desk_sees_todays_follow_ups_instead_of_nothing(client, front_desk):
    _due(0)
    _due(0)
    _due(-1, channel=Channel.CALL)
    _due(-3)
    _due(2)  # not today's work
    _due(0, status=FollowUp.Status.COMPLETED)
    client.force_login(front_desk)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Nothing needs your attention" not in page
    assert "<strong>2</strong> follow-ups due today" in page
    assert "<strong>1</strong> call to make" in page
    assert "<strong>1</strong> overdue" in page
    assert 'href="/follow-ups/#due-today"' in page


def test_a_quiet_day_says_so(client, nurse):
    _due(3)
    client.force_login(nurse)
    page = client.get(reverse("dashboard")).content.decode()
    assert "No call, follow-up or self-report is due today." in page


def test_the_panel_counts_in_the_same_queries_for_one_and_many(client, nurse):
    client.force_login(nurse)
    _due(0)
    client.get(reverse("dashboard"))  # warm the caches
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("dashboard"))
    for days in range(-20, 1):
        _due(days)
        _due(days, channel=Channel.CALL)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("dashboard")).content.decode()
    assert len(many.captured_queries) == len(one.captured_queries)
    assert "<strong>21</strong> calls to make" in page
