"""Recording an adverse event in a real browser: a cold sore after a visit, linked to the
dose it follows, then seen on the patient's page."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps.safety.models import AdverseEvent
from exotrack import roles
from tests.factories import DoseFactory, LotFactory, PatientFactory, UserFactory, VisitFactory
from tests.safety.adverse_event_data import seed_event_types

pytestmark = pytest.mark.e2e


@pytest.fixture
def clinic():
    seed_event_types()
    clinician = UserFactory(
        username="cleo", first_name="Cleo", last_name="Park", role=roles.CLINICIAN
    )
    patient = PatientFactory(first_name="Ada", last_name="Lovelace", cold_sore_history=True)
    visit = VisitFactory(
        patient=patient,
        clinician=clinician,
        visited_at=timezone.now() - datetime.timedelta(days=3),
    )
    return {
        "clinician": clinician,
        "patient": patient,
        "visit": visit,
        "dose": DoseFactory(visit=visit, lot=LotFactory(lot_number="KL2611A")),
    }


def test_a_clinician_records_a_cold_sore_linked_to_a_visit(page: Page, live_server, login, clinic):
    onset = timezone.localdate() - datetime.timedelta(days=1)
    login(page, live_server, clinic["clinician"])

    page.goto(f"/treatments/visits/{clinic['visit'].pk}/")
    page.get_by_role("link", name="Record adverse event").click()
    expect(page.get_by_role("heading", name="Record an adverse event")).to_be_visible()
    page.get_by_label("Type of event").select_option(label="Cold sore / HSV reactivation")
    # The visit's doses start ticked.
    expect(page.get_by_label("Knee (left): 4.00 bn")).to_be_checked()
    page.get_by_label("Onset").fill(onset.isoformat())
    page.get_by_label("CTCAE grade").select_option("1")
    page.get_by_label("Causality").select_option("possible")
    page.get_by_label("Action taken").fill("valacyclovir 2 g twice, one day")
    page.get_by_role("button", name="Record event").click()

    expect(page.locator(".messages")).to_contain_text("Adverse event recorded for Ada Lovelace")
    expect(page.locator("#event-doses")).to_contain_text("KL2611A")

    page.goto(f"/patients/{clinic['patient'].pk}/")
    events = page.locator("#patient-adverse-events")
    expect(events).to_contain_text("Cold sore / HSV reactivation")
    expect(events).to_contain_text(onset.isoformat())
    event = AdverseEvent.objects.get()
    assert list(event.doses.all()) == [clinic["dose"]]
    assert event.action_taken == "valacyclovir 2 g twice, one day"


def test_an_onset_before_the_visit_is_shown_next_to_the_field(
    page: Page, live_server, login, clinic
):
    login(page, live_server, clinic["clinician"])
    page.goto(f"/safety/adverse-events/new/?visit={clinic['visit'].pk}")
    page.get_by_label("Type of event").select_option(label="Cold sore / HSV reactivation")
    too_early = timezone.localdate() - datetime.timedelta(days=10)
    page.get_by_label("Onset").fill(too_early.isoformat())
    page.get_by_label("CTCAE grade").select_option("1")
    page.get_by_role("button", name="Record event").click()

    expect(page.locator("#id_onset_date-error")).to_contain_text("before the linked visit")
    assert not AdverseEvent.objects.exists()
