"""The dashboard per role: which panels each role sees, what the new ones say, and a
pinned query count for every panel that does not grow with the clinic."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.followups.models import Channel, FollowUp, Kind
from apps.inventory.models import Lot
from exotrack.dashboard import DASHBOARD
from tests.builders import earlier_today
from tests.factories import (
    FollowUpFactory,
    LotFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

PANELS_BY_ROLE = {
    "clinician": [
        "find-patient",
        "sign-off",
        "follow-ups-today",
        "visits-today",
        "serious-events",
        "medication-flags",
    ],
    "nurse": ["find-patient", "follow-ups-today", "visits-today", "medication-flags"],
    "front_desk": ["find-patient", "follow-ups-today"],
    "manager": [
        "find-patient",
        "follow-ups-today",
        "stock",
        "lots-out-of-use",
        "medication-flags",
        "staff-locked-out",
    ],
}
# Queries each panel's loader makes, whatever the number of rows behind it.
PANEL_QUERIES = {
    "find-patient": 0,
    "sign-off": 1,
    "follow-ups-today": 2,  # due by today from one index, failed deliveries from another
    "visits-today": 1,
    "stock": 2,
    "lots-out-of-use": 1,
    "serious-events": 1,
    "medication-flags": 2,
    "staff-locked-out": 1,
}


def _panel_keys(html: str) -> list[str]:
    return [key for key in PANEL_QUERIES if f'id="panel-{key}"' in html]


@pytest.mark.parametrize("role", list(PANELS_BY_ROLE))
def test_each_role_sees_the_panels_of_its_day(client, personas, role):
    client.force_login(personas[role])
    html = client.get(reverse("dashboard")).content.decode()
    shown = [key for key in (s.key for s in DASHBOARD.registered()) if key in _panel_keys(html)]
    assert shown == PANELS_BY_ROLE[role]


def _clinic_of_size(n: int) -> None:
    """n of everything a panel counts or lists."""
    for _ in range(n):
        lot = LotFactory(status=Lot.Status.RECALLED)
        FollowUpFactory(kind=Kind.RECALL_CONTACT, channel=Channel.CALL, lot=lot)
        VisitFactory(visited_at=earlier_today(minutes=5))
        UserFactory(second_step_locked_until=timezone.now() + datetime.timedelta(hours=1))


def test_every_panel_keeps_its_query_count_as_the_clinic_grows(personas):
    manager, clinician = personas["manager"], personas["clinician"]
    assert set(PANEL_QUERIES) == {s.key for s in DASHBOARD.registered()}
    counts: dict[str, list[int]] = {key: [] for key in PANEL_QUERIES}
    for section in DASHBOARD.registered():  # the users' permissions, read once and kept
        section.load(user=clinician if section.key == "sign-off" else manager)
    for size in (1, 8):
        _clinic_of_size(size)
        for section in DASHBOARD.registered():
            with CaptureQueriesContext(connection) as queries:
                section.load(user=clinician if section.key == "sign-off" else manager)
            counts[section.key].append(len(queries.captured_queries))
    assert counts == {key: [n, n] for key, n in PANEL_QUERIES.items()}


def test_managers_see_lots_out_of_use_with_their_calls(client, manager):
    recalled = LotFactory(status=Lot.Status.RECALLED, lot_number="CV-2291")
    for status in (FollowUp.Status.PENDING, FollowUp.Status.PENDING, FollowUp.Status.COMPLETED):
        FollowUpFactory(kind=Kind.RECALL_CONTACT, channel=Channel.CALL, lot=recalled, status=status)
    LotFactory(status=Lot.Status.QUARANTINED, lot_number="KL-7")
    LotFactory(lot_number="IN-USE")
    client.force_login(manager)
    panel = client.get(reverse("dashboard")).content.decode()
    assert (
        "lot CV-2291</a>" in panel
        and "<strong>2</strong> recall calls still to make, of 3" in panel
    )
    assert "lot KL-7</a>" in panel and "Quarantined" in panel
    assert "IN-USE" not in panel


def test_managers_see_who_is_locked_out(client, manager):
    UserFactory(
        first_name="Lena",
        last_name="Locked",
        second_step_locked_until=timezone.now() + datetime.timedelta(minutes=30),
    )
    UserFactory(
        first_name="Past",
        last_name="Lock",
        second_step_locked_until=timezone.now() - datetime.timedelta(minutes=1),
    )
    client.force_login(manager)
    panel = client.get(reverse("dashboard")).content.decode()
    assert "Lena Locked</a>" in panel
    assert "Past Lock" not in panel


def test_today_s_visits_count_what_the_nurse_recorded(client, nurse):
    VisitFactory(visited_at=earlier_today(minutes=30), created_by=nurse)
    VisitFactory(visited_at=earlier_today(minutes=20))
    VisitFactory(visited_at=timezone.now() - datetime.timedelta(days=2), created_by=nurse)
    client.force_login(nurse)
    panel = client.get(reverse("dashboard")).content.decode()
    assert "<strong>2</strong> visits recorded today</a>, 1 by you." in panel
